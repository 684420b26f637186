// Screens by URL hash, so Android's back button (history.back) walks back through them:
// `#/` home, `#/households` (optionally `?street=ID`), `#/h/ID` a household, `#/h/ID/visit`,
// `#/h/ID/hard` (a lead flags or clears a hard case),
// and for team leads `#/team` (optionally `?team=ID`) and `#/reassign?street=ID` or
// `#/reassign?household=ID`.
export type Route =
  | { name: 'home' }
  | { name: 'households'; street: string | null }
  | { name: 'household'; id: string }
  | { name: 'visit'; id: string }
  | { name: 'hard'; id: string }
  | { name: 'team'; team: string | null }
  | { name: 'reassign'; street: string | null; household: string | null };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [path = '', query = ''] = h.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'households') {
    return { name: 'households', street: new URLSearchParams(query).get('street') };
  }
  if (parts[0] === 'team') {
    return { name: 'team', team: new URLSearchParams(query).get('team') };
  }
  if (parts[0] === 'reassign') {
    const q = new URLSearchParams(query);
    return { name: 'reassign', street: q.get('street'), household: q.get('household') };
  }
  if (parts[0] === 'h' && parts[1]) {
    if (parts[2] === 'visit') return { name: 'visit', id: parts[1] };
    if (parts[2] === 'hard') return { name: 'hard', id: parts[1] };
    return { name: 'household', id: parts[1] };
  }
  return { name: 'home' };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'home':
      return '#/';
    case 'households':
      return route.street ? `#/households?street=${encodeURIComponent(route.street)}` : '#/households';
    case 'household':
      return `#/h/${encodeURIComponent(route.id)}`;
    case 'visit':
      return `#/h/${encodeURIComponent(route.id)}/visit`;
    case 'hard':
      return `#/h/${encodeURIComponent(route.id)}/hard`;
    case 'team':
      return route.team ? `#/team?team=${encodeURIComponent(route.team)}` : '#/team';
    case 'reassign': {
      const q = new URLSearchParams();
      if (route.household) q.set('household', route.household);
      else if (route.street) q.set('street', route.street);
      const qs = q.toString();
      return qs ? `#/reassign?${qs}` : '#/reassign';
    }
  }
}

export const router = $state<{ route: Route }>({
  route: parseRoute(typeof location === 'undefined' ? '' : location.hash),
});

/** Routes the app navigated from, newest last: what `back` returns to. */
const stack: Route[] = [];

/** Follows the hash when it changed outside `go`/`back` (the system back button). */
export function onHashChange(): void {
  const r = parseRoute(location.hash);
  if (href(r) === href(router.route)) return;
  const top = stack[stack.length - 1];
  if (top && href(top) === href(r)) stack.pop();
  router.route = r;
}

export function go(route: Route): void {
  // A second tap on the same button while the screen changes goes nowhere new.
  if (href(route) === href(router.route)) return;
  stack.push(router.route);
  // Applied at once: screens never wait for the hashchange event (double taps meanwhile).
  router.route = route;
  location.hash = href(route);
}

/** Back to where the user came from, or to `fallback` when the app was opened on this screen. */
export function back(fallback: Route): void {
  const prev = stack.pop();
  if (prev) {
    router.route = prev;
    history.back();
  } else {
    router.route = fallback;
    location.replace(href(fallback));
  }
}

export function resetRouter(route: Route = { name: 'home' }): void {
  stack.length = 0;
  router.route = route;
}
