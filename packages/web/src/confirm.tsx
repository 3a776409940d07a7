// A modal confirmation (the native <dialog>: focus moves into it, Escape cancels, focus returns).

import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Confirm(props: { title: string; children: ComponentChildren; confirmLabel: string; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={(e) => (e.preventDefault(), props.onCancel())}>
      <h2 id="confirm-title">{props.title}</h2>
      <div class="confirm-body">{props.children}</div>
      <div class="row end">
        <button type="button" onClick={props.onCancel}>Cancel</button>
        <button type="button" class="danger" autofocus onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** What ignoring does, said the same way wherever a person is asked to confirm it. */
export function IgnoreExplained({ userId }: { userId: string }) {
  return (
    <>
      <p>
        You will stop seeing <strong>{userId}</strong>: their messages, reactions, invites, typing and read receipts are hidden in every room, on all your devices. Messages they already sent
        disappear now.
      </p>
      <p>They are not told. You can undo this at any time in Settings → Ignored users, and their messages come back.</p>
    </>
  );
}
