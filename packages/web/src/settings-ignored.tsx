// Settings → Ignored users: the list (m.ignored_user_list), remove one, add by user id (checked as
// typed), and moving the whole block list between accounts (export / import with progress).

import { useState } from 'preact/hooks';
import { isUserId } from '@hush/protocol';
import type { ExportedLists, HushClient } from '@hush/client';
import { Confirm, IgnoreExplained } from './confirm.tsx';
import { describeError, useAction, useClientTick } from './use-client.ts';

export function IgnoredUsersPage({ client }: { client: HushClient }) {
  useClientTick(client);
  const ignored = client.ignoredUsers().sort();
  const [adding, setAdding] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const { status, run } = useAction('done');
  const typed = adding.trim();
  const problem = typed === '' ? null : !isUserId(typed) ? 'A user id looks like @name:server.org' : typed === client.userId ? "That's you" : ignored.includes(typed) ? 'Already ignored' : null;

  return (
    <section class="settings">
      <h1>Ignored users</h1>
      <p class="hint">Everything these people send is hidden from you: messages, reactions, invites, typing and read receipts. They are not told.</p>
      {ignored.length === 0 ? (
        <p class="muted">You don't ignore anyone.</p>
      ) : (
        <ul class="list" aria-label="Ignored users">
          {ignored.map((u) => (
            <li key={u} data-user={u}>
              <span>{u}</span>
              <button type="button" aria-label={`Stop ignoring ${u}`} onClick={() => run(`Un-ignoring ${u}`, () => client.unignoreUser(u))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed && !problem) setConfirming(typed);
        }}
      >
        <label>
          Ignore a user
          <input name="ignore-user" placeholder="@someone:example.org" value={adding} aria-invalid={problem !== null} aria-describedby="ignore-user-hint" onInput={(e) => setAdding(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={!typed || problem !== null}>
          Ignore
        </button>
      </form>
      <small id="ignore-user-hint" class={problem ? 'error' : 'muted'} aria-live="polite">
        {problem ?? '\u00a0'}
      </small>
      {status && <p role="status">{status}</p>}
      <MoveLists client={client} />
      {confirming && (
        <Confirm
          title={`Ignore ${confirming}?`}
          confirmLabel="Ignore"
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const u = confirming;
            setConfirming(null);
            setAdding('');
            void run(`Ignoring ${u}`, () => client.ignoreUser(u));
          }}
        >
          <IgnoreExplained userId={confirming} />
        </Confirm>
      )}
    </section>
  );
}

/** Export downloads every list as one JSON file; import merges such a file, with a progress bar. */
function MoveLists({ client }: { client: HushClient }) {
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const exportFile = () => {
    const blob = new Blob([JSON.stringify(client.inviteRules.exportLists(), null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'hush-lists.json';
    a.click();
    URL.revokeObjectURL(a.href);
  };

  const importFile = async (file: File | undefined) => {
    if (!file) return;
    setStatus(null);
    let data: ExportedLists;
    try {
      data = JSON.parse(await file.text()) as ExportedLists;
    } catch {
      setStatus('That file is not JSON.');
      return;
    }
    setProgress({ done: 0, total: 1 });
    try {
      await client.inviteRules.importLists(data, (done, total) => setProgress({ done, total }));
      setStatus('Import finished.');
    } catch (e) {
      setStatus(`Import failed: ${describeError(e)}`);
    } finally {
      setProgress(null);
    }
  };

  return (
    <section aria-labelledby="move-h">
      <h2 id="move-h">Move your lists</h2>
      <p class="hint">Export your ignored users and invite rules to a file, and import it on another account.</p>
      <div class="row">
        <button type="button" onClick={exportFile}>
          Export
        </button>
        <label class="file">
          Import a file
          <input type="file" name="import" accept="application/json,.json" disabled={progress !== null} onChange={(e) => void importFile(e.currentTarget.files?.[0])} />
        </label>
      </div>
      {progress && (
        <p>
          <label>
            Importing {progress.done.toLocaleString()} of {progress.total.toLocaleString()}
            <progress max={progress.total} value={progress.done} />
          </label>
        </p>
      )}
      {status && <p role="status">{status}</p>}
    </section>
  );
}
