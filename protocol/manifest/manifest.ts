// The model manifest: what an artifact is (id = SHA-256 of model.json and its weight files, in
// manifest order, or of the one .onnx file of an ONNX artifact), where it came from (parent, pruning) and what it costs and scores (FLOPs,
// parameters, accuracy). It sits next to model.json as manifest.json and is signed in
// manifest.sig (ed25519 over the exact manifest.json bytes). The deployment fields (`release`,
// `expires`, `boards`) are optional so that manifests signed before they existed stay valid; what
// they mean for a device is protocol/deploy/checks.ts.

import { createHash } from 'node:crypto';
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const MANIFEST_SCHEMA = 'edgewatt.model-manifest/1';
/** The one file of an ONNX artifact when a folder is named without it. */
export const ONNX_FILE = 'model.onnx';

/**
 * How an artifact's files are read: `tfjs` (model.json and the weight files it lists; what a
 * manifest without `format` means, as every manifest written before ONNX) or `onnx` (one .onnx
 * ModelProto file, which is the whole artifact and whose SHA-256 is the artifact id).
 */
export const ARTIFACT_FORMATS = ['tfjs', 'onnx'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)');

/**
 * The energy one step of making a model took (training, or pruning with its fine-tuning), as
 * `model train` / `model prune` measured it: RAPL where readable, otherwise process CPU time × a
 * stated host power, labelled estimated. Optional, so manifests signed before it stay valid.
 */
export const stepEnergySchema = z.strictObject({
  /** Central value, joules; lowJ–highJ is its range (sensor gain error, or the host power's range). */
  energyJ: z.number().min(0),
  lowJ: z.number().min(0),
  highJ: z.number().min(0),
  provenance: z.enum(['measured', 'estimated']),
  /** How it was obtained, e.g. `rapl` or `cpu-time × host power`. */
  method: z.string().min(1),
  /** Wall-clock and process CPU time (user + system, all threads) of the step, seconds. */
  wallS: z.number().min(0),
  cpuS: z.number().min(0),
  /** What a reader must know: what the sensor covers, the stated power and where it comes from. */
  note: z.string(),
  /** Set when the figure was copied from the parent's manifest (a pruned child's training). */
  fromParent: sha256Hex.optional(),
});
export type StepEnergy = z.infer<typeof stepEnergySchema>;

export const manifestSchema = z
  .strictObject({
    schema: z.literal(MANIFEST_SCHEMA),
    id: sha256Hex,
    variant: z.string().min(1),
    architecture: z.string().min(1),
    parent: sha256Hex.nullable(),
    pruning: z
      .strictObject({
        method: z.literal('l1-structured'),
        targetFlopsReduction: z.number().min(0).max(1),
        flopsReduction: z.number().min(0).max(1),
        channelFraction: z.number().min(0).max(1),
        channelMultiple: z.number().int().min(1),
        keptChannels: z.record(z.string(), z.number().int().min(1)),
        fineTuneEpochs: z.number().int().min(0),
        /** Test accuracy right after the channels were removed, before fine-tuning. */
        accuracyBeforeFineTune: z.number().min(0).max(1).optional(),
      })
      .nullable(),
    /** Absent: `tfjs`. Optional, so that manifests signed before ONNX support stay valid and byte-identical. */
    format: z.enum(ARTIFACT_FORMATS).optional(),
    /** Multiply-adds of one inference (conv and dense layers). */
    flops: z.number().int().min(0),
    /**
     * Operations of the graph whose multiply-adds `flops` leaves out (an imported model whose graph
     * does not give the shapes needed to count them); absent: everything that counts was counted.
     */
    flopsUncounted: z.array(z.string().min(1).max(64)).max(256).optional(),
    params: z.number().int().min(0),
    accuracy: z
      .strictObject({
        top1: z.number().min(0).max(1),
        dataset: z.string(),
        examples: z.number().int().min(1),
      })
      .nullable(),
    inputShape: z.array(z.number().int().min(1)),
    /** Class names by output index (an imported model's `--labels`); absent: classes are numbered. */
    labels: z.array(z.string().min(1).max(128)).min(1).max(100_000).optional(),
    /** Total bytes of `files`: what a device downloads, checked before and during the download. */
    artifactBytes: z.number().int().min(1),
    files: z.array(z.strictObject({ path: z.string(), bytes: z.number().int().min(0), sha256: sha256Hex })),
    training: z
      .strictObject({
        seed: z.number().int(),
        epochs: z.number().int().min(0),
        examples: z.number().int().min(0),
        backend: z.string(),
      })
      .nullable(),
    createdBy: z.string(),
    /**
     * Release counter of the model line (architecture + variant), ≥ 1, increasing with every new
     * artifact of the line: a device refuses a release below the highest it committed (rollback
     * attack). Absent: unversioned (release 0).
     */
    release: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    /** After this instant (ISO 8601 with offset) no device installs the artifact (freeze attack). */
    expires: z.iso.datetime({ offset: true }).optional(),
    /** Board profile ids (protocol/boards) the artifact is meant for; absent: any board. */
    boards: z.array(z.string().min(1).max(64)).min(1).max(64).optional(),
    /** Energy of training this model's lineage (a pruned child carries its parent's; issue 13). */
    trainingEnergy: stepEnergySchema.optional(),
    /** Energy of the pruning step that made this artifact (channel removal and fine-tuning). */
    pruningEnergy: stepEnergySchema.optional(),
  })
  .superRefine((manifest, ctx) => {
    // An ONNX artifact is one file: its hash is the artifact id, and it is what the runtime opens.
    if (
      manifest.format === 'onnx' &&
      (manifest.files.length !== 1 || !manifest.files[0]?.path.endsWith('.onnx'))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['files'],
        message: 'an ONNX artifact lists exactly one file, the .onnx model',
      });
    }
    // artifactBytes is what a device checks a download against; a manifest whose files add up to
    // something else would let the files grow past the size the device agreed to.
    const total = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
    if (total !== manifest.artifactBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['artifactBytes'],
        message: `is ${manifest.artifactBytes}, but the files add up to ${total} bytes`,
      });
    }
  });
export type ModelManifest = z.infer<typeof manifestSchema>;

/** One signature of manifest.sig (the file holds one, or an array of them: see SIGNATURE_FILE_SCHEMA). */
export const signatureSchema = z.strictObject({
  algorithm: z.literal('ed25519'),
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  /** Base64 of the 64-byte ed25519 signature over the manifest.json bytes. */
  signature: z.string().min(1),
});
export type ManifestSignature = z.infer<typeof signatureSchema>;

/** Most signatures one manifest.sig may hold (a key rotation needs two). */
export const MAX_MANIFEST_SIGNATURES = 8;

/**
 * manifest.sig: one signature (as every manifest signed before key rotation existed), or an array
 * of signatures by different keys over the same bytes — how a new model key is introduced while
 * agents still trust only the old one (docs/security.md, "Rotating keys").
 */
export const signatureFileSchema = z.union([
  signatureSchema,
  z.array(signatureSchema).min(1).max(MAX_MANIFEST_SIGNATURES),
]);

/** The artifact id: SHA-256 over model.json then each weight file in manifest order. */
export function artifactId(modelJson: Uint8Array, weightFiles: readonly Uint8Array[]): string {
  const hash = createHash('sha256').update(modelJson);
  for (const chunk of weightFiles) hash.update(chunk);
  return hash.digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
