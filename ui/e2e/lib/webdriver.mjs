// A WebDriver *classic* client over plain HTTP (WebKitWebDriver, behind tauri-driver, refuses
// WebDriver BiDi): just the calls the desktop test needs.
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriver {
  constructor(base, sessionId) {
    this.base = base;
    this.id = sessionId;
  }

  static async session(base, capabilities, ms = 60000) {
    const until = Date.now() + ms;
    let last;
    while (Date.now() < until) {
      try {
        const r = await fetch(`${base}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capabilities: { alwaysMatch: capabilities } }),
          signal: AbortSignal.timeout(ms),
        });
        const body = await r.json();
        if (r.ok) return new WebDriver(base, body.value.sessionId);
        last = JSON.stringify(body);
        break;
      } catch (e) {
        last = String(e);
        await new Promise((res) => setTimeout(res, 250));
      }
    }
    throw new Error(`no WebDriver session: ${last}`);
  }

  async cmd(method, path, body) {
    const r = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120000),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  }

  /** The first element found `using` a strategy, waiting up to `ms` for it. */
  async locate(using, value, ms = 15000) {
    const until = Date.now() + ms;
    for (;;) {
      try {
        const v = await this.cmd('POST', '/element', { using, value });
        return v[ELEMENT];
      } catch (e) {
        if (Date.now() > until) throw new Error(`no element ${value}: ${e.message}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  }

  /** The first element matching `css`. */
  find(css, ms) {
    return this.locate('css selector', css, ms);
  }

  /** The first element matching an XPath expression. */
  findXpath(xpath, ms) {
    return this.locate('xpath', xpath, ms);
  }

  async click(css) {
    const el = await this.find(css);
    await this.cmd('POST', `/element/${el}/click`, {});
    return el;
  }

  async type(css, text) {
    const el = await this.find(css);
    await this.cmd('POST', `/element/${el}/value`, { text });
  }

  async text(css) {
    return this.cmd('GET', `/element/${await this.find(css)}/text`);
  }

  exec(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Waits until `script` (a function body returning a value) returns something truthy. */
  async until(script, ms = 30000, what = script) {
    const until = Date.now() + ms;
    for (;;) {
      const v = await this.exec(script);
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  async elementScreenshot(css) {
    const el = await this.find(css);
    return Buffer.from(await this.cmd('GET', `/element/${el}/screenshot`), 'base64');
  }

  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async quit() {
    await fetch(`${this.base}/session/${this.id}`, { method: 'DELETE' }).catch(() => {});
  }
}
