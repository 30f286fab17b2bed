// The per-device assignment (Uptane's Director metadata): which model a device should run, signed
// online by the collector's deployment key and published retained on
// `edgewatt/v1/{fleet}/{device}/cmd/model`. It binds fleet, device, model id, release and expiry,
// so it cannot be replayed to another device or after its time; it never makes an unsigned model
// acceptable (the model's own signature, by the offline model key, is checked separately).

import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { z } from 'zod';
import { ed25519Verifies, keyIdOf, type TrustedKey } from '../manifest/signature.js';
import { idProblem } from '../topics.js';
import { DeploymentRefusal } from './refusal.js';

export const ASSIGNMENT_SCHEMA = 'edgewatt.assignment/1';
/** The command name of the assignment topic: `edgewatt/v1/{fleet}/{device}/cmd/model`. */
export const ASSIGNMENT_COMMAND = 'model';
/** Largest assignment payload a device reads (a real one is under 1 KiB). */
export const MAX_ASSIGNMENT_BYTES = 16 * 1024;
/** Longest probation a device accepts: a week. */
export const MAX_PROBATION_S = 7 * 24 * 3600;

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `id ${problem}` });
});
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)');
const instant = z.iso.datetime({ offset: true });

export const assignmentSchema = z.strictObject({
  schema: z.literal(ASSIGNMENT_SCHEMA),
  fleet: id,
  device: id,
  /** The rollout (or experiment period) this belongs to: every status message carries it. */
  deploymentId: id,
  /** The model to run: the manifest's id (SHA-256 of the artifact). */
  modelId: sha256Hex,
  /** The manifest's release (0 when it has none); checked against the manifest after download. */
  release: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Back to the device's previous committed model: the one case an older release is accepted. */
  rollback: z.boolean(),
  /** The manifest's artifactBytes: more is refused before and during the download. */
  artifactBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** The registry: files at `${baseUrl}/v1/registry/artifacts/{modelId}/{path}` (artifactUrl). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  issuedAt: instant,
  /** After this the device refuses the assignment (freeze attack). */
  expires: instant,
  /** Seconds the new model runs on probation before the device reports it committed. */
  probationS: z.number().min(0).max(MAX_PROBATION_S),
  /** Put on every inference record the model produces (experiments). */
  tags: z
    .strictObject({
      experiment: id.optional(),
      arm: id.optional(),
      placement: z.enum(['edge', 'offload', 'auto']).optional(),
    })
    .optional(),
});
export type Assignment = z.infer<typeof assignmentSchema>;

/** What travels on cmd/model: the exact assignment text and its signature over its UTF-8 bytes. */
const signedSchema = z.strictObject({
  assignment: z.string().min(2).max(MAX_ASSIGNMENT_BYTES),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().min(1).max(200),
});

/** `${baseUrl}/v1/registry/artifacts/{modelId}/{path}`, the one place that spells the registry path. */
export function artifactUrl(baseUrl: string, modelId: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${base}/v1/registry/artifacts/${modelId}/${file}`;
}

/** Checks `assignment` with the schema, signs it with the deployment key, returns the payload bytes. */
export function signAssignment(assignment: Assignment, privateKey: KeyObject): Uint8Array {
  const text = JSON.stringify(assignmentSchema.parse(assignment));
  const payload = {
    assignment: text,
    keyId: keyIdOf(createPublicKey(privateKey)),
    signature: sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
  };
  return new TextEncoder().encode(JSON.stringify(payload));
}

export interface AssignmentContext {
  fleet: string;
  device: string;
  /** The device's clock, ms since the epoch. */
  nowMs: number;
  /** The most bytes this device accepts for one artifact; absent: no device limit. */
  maxArtifactBytes?: number;
}

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/**
 * Verifies an assignment payload for this device and returns it, or throws DeploymentRefusal:
 * `malformed` (not the signed envelope or not an assignment), `untrusted-key`, `bad-signature`,
 * `wrong-device`, `expired`, `too-large`. The signature is checked before the assignment is read.
 */
export function verifyAssignment(
  payload: Uint8Array,
  trustedKeys: readonly TrustedKey[],
  context: AssignmentContext,
): Assignment {
  if (payload.byteLength > MAX_ASSIGNMENT_BYTES + 1024) {
    throw new DeploymentRefusal(
      'malformed',
      `assignment payload is ${payload.byteLength} bytes; at most ${MAX_ASSIGNMENT_BYTES} are read`,
    );
  }
  let envelope: z.infer<typeof signedSchema>;
  try {
    envelope = signedSchema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)));
  } catch (error) {
    const why = error instanceof z.ZodError ? describeIssues(error) : (error as Error).message;
    throw new DeploymentRefusal('malformed', `assignment payload is not a signed assignment: ${why}`);
  }
  const key = trustedKeys.find((k) => k.keyId === envelope.keyId);
  if (key === undefined) {
    throw new DeploymentRefusal(
      'untrusted-key',
      `assignment is signed by key ${envelope.keyId}, which this device does not trust (trusted: ${trustedKeys.map((k) => k.keyId).join(', ') || 'none'})`,
      { hint: "give the collector's deployment public key with --deployment-trusted-key" },
    );
  }
  const bytes = Buffer.from(envelope.assignment, 'utf8');
  if (!ed25519Verifies(bytes, envelope.signature, key.key)) {
    throw new DeploymentRefusal(
      'bad-signature',
      `assignment signature by key ${key.keyId} does not verify: the assignment was changed after signing`,
    );
  }
  let assignment: Assignment;
  try {
    assignment = assignmentSchema.parse(JSON.parse(envelope.assignment));
  } catch (error) {
    const why = error instanceof z.ZodError ? describeIssues(error) : (error as Error).message;
    throw new DeploymentRefusal('malformed', `signed assignment is not an ${ASSIGNMENT_SCHEMA}: ${why}`);
  }
  if (assignment.fleet !== context.fleet || assignment.device !== context.device) {
    throw new DeploymentRefusal(
      'wrong-device',
      `assignment is for ${assignment.fleet}/${assignment.device}, this device is ${context.fleet}/${context.device}`,
    );
  }
  const expiresMs = Date.parse(assignment.expires);
  if (!(expiresMs > context.nowMs)) {
    throw new DeploymentRefusal(
      'expired',
      `assignment ${assignment.deploymentId} expired at ${assignment.expires} (device time ${new Date(context.nowMs).toISOString()})`,
      { hint: 'the collector must sign a fresh assignment; check the device clock if this is unexpected' },
    );
  }
  if (context.maxArtifactBytes !== undefined && assignment.artifactBytes > context.maxArtifactBytes) {
    throw new DeploymentRefusal(
      'too-large',
      `model ${assignment.modelId.slice(0, 12)} is ${assignment.artifactBytes} bytes; this device accepts at most ${context.maxArtifactBytes}`,
      { hint: 'raise --deploy-max-bytes on the device, or deploy a smaller model' },
    );
  }
  return assignment;
}
