// Cross-signing (spec "Cross-signing"): the user's master, self-signing and user-signing keys, and
// signatures uploaded for device keys and master keys. Uploading keys passes user-interactive auth
// (`m.login.password`) once a master key exists; the first upload needs none (spec v1.11, as
// Synapse does: docs/decisions/0019-e2e-keys.md). Every signature is checked before it is stored.

import { MatrixError, invalidParam, isUserId, type api, type BodyOf, type UserId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { e2eKeysStore, type CrossSigningRow, type SignatureRow } from '../../storage/e2e-keys.store.ts';
import type { Notifier } from '../../notifier/notifier.ts';
import type { Requester } from '../requester.ts';
import { passwordStage } from '../accounts-uia.ts';
import type { AccountService } from '../accounts.ts';
import { announceDeviceListChange, recordDeviceListChange } from './device-changes.ts';
import type { OutboundHooks } from '../outbound-hooks.ts';
import { INVALID_SIGNATURE, crossSigningPublicKey, signaturesOf, signedBy, signedContent, storedForm, type JsonRecord } from './signed.ts';

type Usage = 'master' | 'self_signing' | 'user_signing';
const USAGES: readonly Usage[] = ['master', 'self_signing', 'user_signing'];
const BODY_FIELD: Record<Usage, 'master_key' | 'self_signing_key' | 'user_signing_key'> = {
  master: 'master_key',
  self_signing: 'self_signing_key',
  user_signing: 'user_signing_key',
};

type Failure = { errcode: string; error: string };

function failure(status: number, errcode: string, error: string): MatrixError {
  return new MatrixError(status, errcode, error);
}

/** A cross-signing key as the spec describes it: the user's, for this usage, one ed25519 key. */
function checkKey(r: Requester, usage: Usage, key: JsonRecord): { publicKey: string; json: string } {
  const field = BODY_FIELD[usage];
  if (key['user_id'] !== r.userId) throw invalidParam(`${field}.user_id must be the requesting user`);
  const usages = key['usage'];
  if (!Array.isArray(usages) || !usages.includes(usage)) throw invalidParam(`${field}.usage must include ${usage}`);
  const publicKey = crossSigningPublicKey(key);
  if (publicKey === undefined) throw invalidParam(`${field}.keys must hold one ed25519 key, named ed25519:<public key>`);
  return { publicKey, json: storedForm(key) };
}

export class CrossSigningService {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly accounts: Pick<AccountService, 'userIdFor' | 'uia'>,
    /** The app's outbound federation hooks (`deviceList`: other servers hear of key changes). */
    private readonly outbound: OutboundHooks = {},
  ) {}

  async uploadKeys(r: Requester, body: BodyOf<typeof api.uploadCrossSigningKeys>): Promise<void> {
    const uploaded = new Map<Usage, { publicKey: string; json: string; key: JsonRecord }>();
    for (const usage of USAGES) {
      const key = body[BODY_FIELD[usage]];
      if (key !== undefined) uploaded.set(usage, { ...checkKey(r, usage, key), key });
    }
    const stored = new Map((await e2eKeysStore.crossSigningKeys(this.db, [r.userId])).map((row) => [row.usage as Usage, row]));
    const storedMaster = stored.get('master');
    // Uploading the keys already stored changes nothing: no authentication asked (clients retry).
    if ([...uploaded].every(([usage, k]) => stored.get(usage)?.json === k.json)) return;
    const master = uploaded.get('master') ?? (storedMaster && { publicKey: storedMaster.public_key });
    if (!master) throw invalidParam('A master key is needed before the other cross-signing keys');
    for (const usage of ['self_signing', 'user_signing'] as const) {
      const k = uploaded.get(usage);
      if (k && !signedBy(k.key, r.userId, master.publicKey, master.publicKey)) {
        throw failure(400, INVALID_SIGNATURE, `${BODY_FIELD[usage]} is not signed by the master key`);
      }
    }
    if (storedMaster) {
      const op = { kind: 'cross_signing', user: r.userId } as const;
      await passwordStage(this.db, (user) => this.accounts.userIdFor(user), r.userId, body.auth, { sessions: this.accounts.uia, op });
    }

    const announcement = await this.db.transaction().execute(async (tx) => {
      const masterReplaced = uploaded.has('master') && storedMaster !== undefined && storedMaster.public_key !== master.publicKey;
      if (masterReplaced && storedMaster) {
        // The old master key's signatures on the other keys no longer hold: drop what is not replaced.
        await e2eKeysStore.deleteCrossSigningKeys(tx, r.userId, (['self_signing', 'user_signing'] as const).filter((u) => !uploaded.has(u)));
        await e2eKeysStore.deleteSignaturesOn(tx, r.userId, storedMaster.public_key);
      }
      for (const [usage, k] of uploaded) {
        const row: CrossSigningRow = { user_id: r.userId, usage, public_key: k.publicKey, json: k.json };
        await e2eKeysStore.putCrossSigningKey(tx, row);
      }
      return recordDeviceListChange(tx, [r.userId], { crossSigning: true });
    });
    announceDeviceListChange(this.notifier, this.outbound, announcement);
  }

  async uploadSignatures(r: Requester, body: BodyOf<typeof api.uploadCrossSigningSignatures>): Promise<{ failures: Record<string, Record<string, Failure>> }> {
    const failures: Record<string, Record<string, Failure>> = {};
    const announcement = await this.db.transaction().execute(async (tx) => {
      const mine = new Map((await e2eKeysStore.crossSigningKeys(tx, [r.userId])).map((row) => [row.usage, row]));
      const rows: SignatureRow[] = [];
      const targets: string[] = [];
      for (const [userId, byKey] of Object.entries(body)) {
        for (const [keyId, signed] of Object.entries(byKey)) {
          try {
            const found = isUserId(userId) ? await this.checkSignature(tx, r, mine, userId, keyId, signed) : undefined;
            if (!found) throw invalidParam(`Invalid user ID ${JSON.stringify(userId.slice(0, 64))}`);
            rows.push(...found);
            targets.push(userId);
          } catch (err) {
            if (!(err instanceof MatrixError)) throw err;
            (failures[userId] ??= {})[keyId] = { errcode: err.errcode, error: err.message };
          }
        }
      }
      await e2eKeysStore.putSignatures(tx, rows);
      return recordDeviceListChange(tx, targets);
    });
    announceDeviceListChange(this.notifier, this.outbound, announcement);
    return { failures };
  }

  /** The new signatures `signed` brings for key `keyId` of `userId`, each checked; throws the failure. */
  private async checkSignature(tx: Tx, r: Requester, mine: Map<string, CrossSigningRow>, userId: UserId, keyId: string, signed: JsonRecord): Promise<SignatureRow[]> {
    if (signed['user_id'] !== userId) throw invalidParam('The signed object names another user');
    const content = signedContent(signed);
    const row = (signerKey: string, signature: string): SignatureRow => ({
      target_user_id: userId,
      target_key_id: keyId,
      signer_user_id: r.userId,
      signer_key_id: signerKey,
      signature,
    });
    const theirs = (await e2eKeysStore.crossSigningKeys(tx, [userId])).find((k) => k.usage === 'master');
    if (userId === r.userId && theirs?.public_key === keyId) {
      // Our own master key, signed by one or more of our devices.
      if (signedContent(JSON.parse(theirs.json) as JsonRecord) !== content) throw invalidParam('The signed master key is not the stored one');
      const out: SignatureRow[] = [];
      for (const [signerKey, signature] of Object.entries(signaturesOf(signed, r.userId))) {
        if (!signerKey.startsWith('ed25519:')) continue;
        const deviceId = signerKey.slice('ed25519:'.length);
        const dk = await e2eKeysStore.deviceKeys(tx, r.userId, deviceId);
        const devicePublic = dk && ((JSON.parse(dk) as { keys?: Record<string, unknown> }).keys?.[signerKey] as string | undefined);
        if (typeof devicePublic === 'string' && signedBy(signed, r.userId, deviceId, devicePublic)) out.push(row(signerKey, signature));
      }
      if (out.length === 0) throw failure(400, INVALID_SIGNATURE, 'No valid signature by a device of the user');
      return out;
    }
    if (userId === r.userId) {
      // One of our devices, signed by our self-signing key.
      const dk = await e2eKeysStore.deviceKeys(tx, r.userId, keyId);
      if (dk === undefined) throw failure(404, 'M_NOT_FOUND', 'Unknown device or key');
      if (signedContent(JSON.parse(dk) as JsonRecord) !== content) throw invalidParam('The signed device keys are not the stored ones');
      return [this.bySigningKey(signed, r, mine.get('self_signing'), 'self-signing', row)];
    }
    // Another user's master key, signed by our user-signing key.
    if (!theirs || theirs.public_key !== keyId) throw failure(404, 'M_NOT_FOUND', "Only another user's master key can be signed");
    if (signedContent(JSON.parse(theirs.json) as JsonRecord) !== content) throw invalidParam('The signed master key is not the stored one');
    return [this.bySigningKey(signed, r, mine.get('user_signing'), 'user-signing', row)];
  }

  private bySigningKey(signed: JsonRecord, r: Requester, key: CrossSigningRow | undefined, name: string, row: (k: string, s: string) => SignatureRow): SignatureRow {
    if (!key) throw invalidParam(`No ${name} key uploaded`);
    const signerKey = `ed25519:${key.public_key}`;
    const signature = signaturesOf(signed, r.userId)[signerKey];
    if (signature === undefined || !signedBy(signed, r.userId, key.public_key, key.public_key)) throw failure(400, INVALID_SIGNATURE, `Not signed by the ${name} key`);
    return row(signerKey, signature);
  }
}
