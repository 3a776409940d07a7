// The login form: homeserver URL (this server by default), user, password.

import { useState } from 'preact/hooks';
import { login, type Session } from '@hush/client';
import { describeError } from './use-client.ts';

export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [homeserver, setHomeserver] = useState(location.origin);
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await login({ homeserver: homeserver.replace(/\/+$/, ''), user: user.trim(), password, deviceName: 'Hush web' }));
    } catch (err) {
      const code = (err as { errcode?: string }).errcode;
      setError(code === 'M_FORBIDDEN' ? 'Wrong user name or password.' : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <h1>Sign in to Hush</h1>
      <form onSubmit={submit}>
        <label>
          Homeserver
          <input type="url" name="homeserver" required value={homeserver} onInput={(e) => setHomeserver(e.currentTarget.value)} />
        </label>
        <label>
          User
          <input name="user" autocomplete="username" required placeholder="alice or @alice:example.org" value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
