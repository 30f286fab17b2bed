// The model manifest: what an artifact is (id = SHA-256 of model.json and its weight files, in
// manifest order), where it came from (parent, pruning) and what it costs and scores (FLOPs,
// parameters, accuracy). It sits next to model.json as manifest.json and is signed in
// manifest.sig (ed25519 over the exact manifest.json bytes).

import { createHash } from 'node:crypto';
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const MANIFEST_SCHEMA = 'edgewatt.model-manifest/1';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)');

export const manifestSchema = z.strictObject({
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
  /** Multiply-adds of one inference (conv and dense layers). */
  flops: z.number().int().min(0),
  params: z.number().int().min(0),
  accuracy: z
    .strictObject({
      top1: z.number().min(0).max(1),
      dataset: z.string(),
      examples: z.number().int().min(1),
    })
    .nullable(),
  inputShape: z.array(z.number().int().min(1)),
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
});
export type ModelManifest = z.infer<typeof manifestSchema>;

export const signatureSchema = z.strictObject({
  algorithm: z.literal('ed25519'),
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  /** Base64 of the 64-byte ed25519 signature over the manifest.json bytes. */
  signature: z.string().min(1),
});
export type ManifestSignature = z.infer<typeof signatureSchema>;

/** The artifact id: SHA-256 over model.json then each weight file in manifest order. */
export function artifactId(modelJson: Uint8Array, weightFiles: readonly Uint8Array[]): string {
  const hash = createHash('sha256').update(modelJson);
  for (const chunk of weightFiles) hash.update(chunk);
  return hash.digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
