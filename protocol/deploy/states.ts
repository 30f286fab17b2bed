// The vocabulary of a model deployment, shared by the agent (which walks the states) and the
// collector (which stores them and judges rollouts): the states a device reports on its
// `deployment` topic and the reasons a deployment is refused or fails. Plain data, no node: imports,
// so the codec (protocol/codec/wire.ts) can check them.

/** The states a device reports, in the order a deployment that succeeds walks them. */
export const DEPLOYMENT_STATES = [
  'downloading',
  'verifying',
  'loading',
  'switching',
  'probation',
  'committed',
  'rolling-back',
  'rolled-back',
  'failed',
  'refused',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** States after which the device does nothing more for this deployment. */
export const TERMINAL_DEPLOYMENT_STATES: readonly DeploymentState[] = [
  'committed',
  'rolled-back',
  'failed',
  'refused',
];

export const DEPLOYMENT_REASONS = [
  /** The assignment payload or the manifest is not in the expected format. */
  'malformed',
  /** A signature (model manifest or assignment) does not verify with the key that claims it. */
  'bad-signature',
  /** Signed by a key the device does not trust. */
  'untrusted-key',
  /** A file's or the artifact's SHA-256 differs from the manifest, or the manifest's id from the assignment's. */
  'hash-mismatch',
  /** More bytes than declared, or than the device accepts (endless-data attack). */
  'too-large',
  /** The manifest names boards and this device's is not among them. */
  'wrong-board',
  /** The release is not newer than the one running (rollback attack), and this is no signed rollback. */
  'old-release',
  /** The assignment or the manifest is past its expiry (freeze attack). */
  'expired',
  /** The assignment names another fleet or device. */
  'wrong-device',
  /** The registry could not be reached, refused, or sent something unusable, after the retries. */
  'download-failed',
  /** The new model could not be built (runtime error, input shape differs from the running one). */
  'load-failed',
  /** The warm-up inferences of the new model failed. */
  'warmup-failed',
  /** The new model failed while on probation (inference errors). */
  'probation-failed',
  /** The loop guard tripped: the deployment was attempted (or crashed) too many times. */
  'crash-loop',
  /** The assignment was replaced or cleared while this deployment ran. */
  'aborted',
  /** The device's deployment hook (agent --deploy-hook) failed in this state. */
  'hook-failed',
] as const;
export type DeploymentReason = (typeof DEPLOYMENT_REASONS)[number];

/** Longest `detail` text in a deployment message. */
export const MAX_DEPLOYMENT_DETAIL_LENGTH = 512;
