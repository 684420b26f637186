// The transport the running app uses, chosen once at start (tests and the demo set their own),
// and a typed `call` shortcut for screens.
import { locale } from './i18n/index.svelte';
import { type Args, type CommandName, type Reply, type Result, type Transport, detectTransport } from './transport';

let current: Transport | null = null;

export function setTransport(t: Transport | null): void {
  current = t;
}

export function transport(): Transport {
  current ??= detectTransport(() => locale.lang);
  return current;
}

export function call<C extends CommandName>(cmd: C, args: Args<C>): Promise<Result<Reply<C>>> {
  return transport().call(cmd, args);
}
