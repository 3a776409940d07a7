// A real desktop client for tests: Debian's nheko in its own Xvfb display, with a private D-Bus
// session and an unlocked gnome-keyring (without them nheko cannot store its secrets and quits), its
// HOME and XDG directories in a temp dir. xdotool drives it, ImageMagick's `import` takes screenshots.
// Everything it starts is in two process groups (Xvfb; dbus-run-session with the keyring and
// nheko), both ended by stop().

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Debian packages these tests need (scripts/test.mjs installs them when missing). */
export const DESKTOP_PACKAGES = ['nheko', 'xvfb', 'xdotool', 'imagemagick', 'dbus-x11', 'gnome-keyring', 'fonts-dejavu-core'];
const TOOLS = ['nheko', 'Xvfb', 'xdotool', 'import', 'dbus-run-session', 'dbus-send', 'gnome-keyring-daemon'];

/** Where screenshots go: $HUSH_SCREENSHOTS_DIR (docs/screenshots when refreshing them), else a temp dir. */
export const SHOTS = process.env['HUSH_SCREENSHOTS_DIR'] ?? join(tmpdir(), 'hush-desktop-shots');

/** Throws, naming what is missing, unless every tool is on PATH: the tests fail rather than skip. */
export async function requireTools(): Promise<void> {
  const missing: string[] = [];
  for (const t of TOOLS) {
    try {
      await run('bash', ['-c', `command -v ${t}`]);
    } catch {
      missing.push(t);
    }
  }
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: apt-get install -y --no-install-recommends ${DESKTOP_PACKAGES.join(' ')}`);
  }
}

export type Rgb = [number, number, number];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 200 ms until it returns a value other than undefined/false, or throws after `ms`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(200);
  }
}

/** Sends `sig` to a process group we started; false when it is gone. */
function signalGroup(child: ChildProcess, sig: NodeJS.Signals): boolean {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false;
  try {
    process.kill(-child.pid, sig);
    return true;
  } catch {
    return false;
  }
}

async function endGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child || !signalGroup(child, 'SIGTERM')) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 3_000);
  await Promise.race([exited, sleep(5_000)]);
  clearTimeout(timer);
  // The leader may be gone while others of its group (the keyring, dbus-daemon) linger.
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // the group is empty
  }
}

// The last resort: process groups of our own that are still alive when the test process ends,
// also on SIGINT/SIGTERM (detached groups do not get the signal the runner sends to its own group),
// and their temp HOMEs.
const live = new Set<ChildProcess>();
const homes = new Set<string>();
function killLive(): void {
  for (const c of live) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const h of homes) rmSync(h, { recursive: true, force: true });
}
process.once('exit', killLive);
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(sig, () => {
    killLive();
    process.exit(code);
  });
}

export interface Nheko {
  display: string;
  home: string;
  /** nheko's stderr so far (its log lines). */
  log(): string;
  /** Resolves when a line of nheko's log after `from` (an offset into log()) matches. */
  waitLog(re: RegExp, ms?: number, from?: number): Promise<string>;
  xdotool(...args: string[]): Promise<string>;
  /** Clicks at (x, y) inside the main window. */
  click(x: number, y: number): Promise<void>;
  type(text: string): Promise<void>;
  key(...keys: string[]): Promise<void>;
  /** The colour [r, g, b] of one pixel of the display: how a test knows a screen has been drawn. */
  pixel(x: number, y: number): Promise<Rgb>;
  /** How many horizontal lines cross the column x from y0 to y1 (runs of non-white pixels). */
  lines(x: number, y0: number, y1: number): Promise<number>;
  /** The ids of visible windows whose name matches `name` (a regex for xdotool). */
  windows(name: string): Promise<string[]>;
  /** A screenshot of the whole display as `<SHOTS>/nheko-<name>.png`; returns its path. */
  shot(name: string): Promise<string>;
  /** Ends nheko, the keyring, D-Bus and Xvfb, and removes the temp HOME. Idempotent. */
  stop(): Promise<void>;
}

/** The main window's size: set at start so that the coordinates the tests click at hold. */
export const WINDOW = { width: 1066, height: 600 };

/** Starts nheko; started again once if it took itself for a second instance ("Sending Matrix URL to
 *  main application" and exit 0 — seen once in CI although each start has a profile of its own). */
export async function startNheko(): Promise<Nheko> {
  try {
    return await startNhekoOnce();
  } catch (err) {
    if (!/Sending Matrix URL to main application/.test(String(err))) throw err;
    return startNhekoOnce();
  }
}

async function startNhekoOnce(): Promise<Nheko> {
  await requireTools();
  const home = mkdtempSync(join(tmpdir(), 'hush-nheko-'));
  homes.add(home);
  const dirs = { XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_CACHE_HOME: join(home, '.cache'), XDG_RUNTIME_DIR: join(home, 'run') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });

  // Xvfb picks a free display itself and writes its number to fd 3 once it accepts connections.
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp', '-noreset'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true });
  live.add(xvfb);
  xvfb.once('exit', () => live.delete(xvfb));
  let xerr = '';
  xvfb.stderr?.setEncoding('utf8').on('data', (c: string) => (xerr += c));
  let nheko: ChildProcess | undefined;
  const stop = async () => {
    await endGroup(nheko);
    await endGroup(xvfb);
    rmSync(home, { recursive: true, force: true });
    homes.delete(home);
  };
  try {
    const fd3 = xvfb.stdio[3] as NodeJS.ReadableStream;
    const display = await new Promise<string>((resolve, reject) => {
      let got = '';
      const timer = setTimeout(() => reject(new Error(`Xvfb did not start within 10 s: ${xerr}`)), 10_000);
      fd3.setEncoding('utf8');
      fd3.on('data', (c: string) => {
        got += c;
        if (got.includes('\n')) {
          clearTimeout(timer);
          resolve(`:${got.trim()}`);
        }
      });
      xvfb.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Xvfb exited (${code}): ${xerr}`));
      });
    });

    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      ...dirs,
      DISPLAY: display,
      QT_QPA_PLATFORM: 'xcb',
      LANG: 'C.UTF-8',
      KEYRING_PASSWORD: 'hush-test-keyring',
    };
    // In the D-Bus session: the keyring, unlocked, then nheko once the secret service is on the bus.
    const script = [
      'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &',
      'for i in $(seq 100); do',
      '  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break',
      '  sleep 0.1',
      'done',
      // A profile of its own: nheko forwards to, and quits for, a running instance of the same profile.
      `exec nheko --log-type stderr --profile hush-test-${process.pid}-${Date.now()}`,
    ].join('\n');
    nheko = spawn('dbus-run-session', ['--', 'bash', '-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(nheko);
    nheko.once('exit', () => live.delete(nheko!));
    let log = '';
    nheko.stdout?.setEncoding('utf8').on('data', (c: string) => (log += c));
    nheko.stderr?.setEncoding('utf8').on('data', (c: string) => (log += c));

    const xdotool = async (...args: string[]): Promise<string> => (await run('xdotool', args, { env })).stdout.trim();
    const windows = async (name: string): Promise<string[]> => {
      try {
        return (await xdotool('search', '--onlyvisible', '--name', name)).split('\n').filter(Boolean);
      } catch {
        return []; // xdotool exits 1 when nothing matches
      }
    };
    const main = await until(
      'the nheko window',
      async () => {
        if (nheko!.exitCode !== null) throw new Error(`nheko exited (${nheko!.exitCode}):\n${log}`);
        for (const w of await windows('^nheko')) {
          const geo = await xdotool('getwindowgeometry', w);
          if (!/Geometry: 1x1\b/.test(geo)) return w;
        }
        return undefined;
      },
      30_000,
    );
    await xdotool('windowsize', main, String(WINDOW.width), String(WINDOW.height));
    await xdotool('windowmove', main, '0', '0');

    const shot = async (name: string): Promise<string> => {
      mkdirSync(SHOTS, { recursive: true });
      const path = join(SHOTS, `nheko-${name}.png`);
      await run('import', ['-window', 'root', '-crop', `${WINDOW.width}x${WINDOW.height}+0+0`, '+repage', path], { env });
      return path;
    };

    const pixel = async (x: number, y: number): Promise<Rgb> => {
      const out = (await run('import', ['-window', 'root', '-crop', `1x1+${x}+${y}`, '-depth', '8', 'txt:-'], { env })).stdout;
      const m = /\((\d+),(\d+),(\d+)/.exec(out.split('\n')[1] ?? '');
      if (!m) throw new Error(`cannot read the pixel at ${x},${y}: ${out}`);
      return [Number(m[1]), Number(m[2]), Number(m[3])];
    };

    const lines = async (x: number, y0: number, y1: number): Promise<number> => {
      const out = (await run('import', ['-window', 'root', '-crop', `1x${y1 - y0}+${x}+${y0}`, '-depth', '8', 'txt:-'], { env })).stdout;
      let count = 0;
      let inLine = false;
      for (const row of out.split('\n').slice(1)) {
        const m = /\((\d+),(\d+),(\d+)/.exec(row);
        if (!m) continue;
        const white = Number(m[1]) > 235 && Number(m[2]) > 235 && Number(m[3]) > 235;
        if (!white && !inLine) count++;
        inLine = !white;
      }
      return count;
    };

    return {
      display,
      pixel,
      lines,
      home,
      log: () => log,
      waitLog: (re, ms = 30_000, from = 0) =>
        until(`nheko to log ${re}`, () => log.slice(from).split('\n').find((l) => re.test(l)), ms),
      xdotool,
      // One xdotool call, no --sync: `mousemove --sync` to where the pointer already is waits for
      // a motion that never comes (for seconds).
      click: async (x, y) => {
        await xdotool('mousemove', String(x), String(y), 'click', '1');
      },
      type: async (text) => {
        await xdotool('type', '--delay', '25', text);
      },
      key: async (...keys) => {
        await xdotool('key', '--delay', '40', ...keys);
      },
      windows,
      shot,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
