// Media in the web client: images (m.image) and avatars fetched through the authenticated media
// endpoints with the token (@hush/client downloadMedia → a blob: URL, released when unmounted), and
// an image upload into the room (uploadMedia, then an m.image event).

import { useEffect, useState } from 'preact/hooks';
import { downloadMedia, parseMxc, uploadMedia, type HushClient, type ThumbnailSpec } from '@hush/client';

/** A blob: URL for an mxc:// URI, or undefined while loading or when it cannot be fetched. */
function useMediaUrl(client: HushClient, uri: unknown, thumbnail?: ThumbnailSpec): string | undefined {
  const [url, setUrl] = useState<string | undefined>(undefined);
  const key = `${String(uri)} ${thumbnail ? `${thumbnail.width}x${thumbnail.height}${thumbnail.method ?? ''}` : ''}`;
  useEffect(() => {
    if (!parseMxc(uri)) return;
    let live = true;
    let made: string | undefined;
    downloadMedia(client.http, uri as string, thumbnail).then(
      (blob) => {
        if (!live) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      },
      () => live && setUrl(undefined),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [key]);
  return url;
}

export function Avatar({ client, uri, name }: { client: HushClient; uri: unknown; name: string }) {
  const url = useMediaUrl(client, uri, { width: 32, height: 32, method: 'crop' });
  if (!url) return <span class="avatar avatar-letter" aria-hidden="true">{(name.replace(/^@/, '')[0] ?? '?').toUpperCase()}</span>;
  return <img class="avatar" src={url} alt="" width={32} height={32} />;
}

/** The picture of an m.image event: a 320x240 thumbnail, the full image on click. */
export function ImageMessage({ client, content }: { client: HushClient; content: { url?: unknown; body?: unknown } }) {
  const thumb = useMediaUrl(client, content.url, { width: 320, height: 240, method: 'scale' });
  const alt = typeof content.body === 'string' ? content.body : 'image';
  const open = async () => {
    if (typeof content.url !== 'string') return;
    const blob = await downloadMedia(client.http, content.url);
    window.open(URL.createObjectURL(blob), '_blank', 'noopener');
  };
  if (!parseMxc(content.url)) return <p class="body">{alt}</p>;
  return (
    <p class="body image">
      {thumb ? (
        <img src={thumb} alt={alt} class="message-image" onClick={() => void open()} />
      ) : (
        <span class="image-loading">Loading {alt}…</span>
      )}
    </p>
  );
}

async function imageSize(file: File): Promise<{ w: number; h: number } | undefined> {
  try {
    const bitmap = await createImageBitmap(file);
    const size = { w: bitmap.width, h: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return undefined;
  }
}

/** A file picker that uploads one image and sends it to the room as m.image. */
export function UploadImage({ client, roomId, onError }: { client: HushClient; roomId: string; onError: (msg: string | null) => void }) {
  const [busy, setBusy] = useState(false);
  const pick = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setBusy(true);
    try {
      const url = await uploadMedia(client.http, file, { contentType: file.type || 'application/octet-stream', filename: file.name });
      const size = await imageSize(file);
      await client.sendEvent(roomId, 'm.room.message', {
        msgtype: 'm.image',
        body: file.name,
        url,
        info: { mimetype: file.type, size: file.size, ...(size ?? {}) },
      });
      onError(null);
    } catch (err) {
      onError(`Could not send ${file.name}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <label class="upload-image button small" aria-busy={busy}>
      {busy ? 'Sending…' : 'Image'}
      <input type="file" accept="image/*" class="sr-only" name="image" disabled={busy} onChange={(e) => void pick(e)} />
    </label>
  );
}
