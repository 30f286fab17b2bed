// What the experiment driver needs of the rest of the collector, as two small interfaces: the
// deployment switching API (assignments) and the boards' other commands and state (placement, the
// model a board runs). The collector wires them to its deployment service, store and MQTT client.

/** Tags an assignment puts on every inference record the model produces (deployment contract). */
export interface AssignmentTags {
  experiment?: string;
  arm?: string;
  placement?: 'edge' | 'offload' | 'auto';
}

/**
 * The deployment switching API (deploy contract; collector/deploy/assign.ts's DeploymentService
 * has this method): signs and publishes the assignment retained on the device's cmd/model topic.
 */
export interface AssignmentPort {
  publishAssignment(request: {
    fleet: string;
    device: string;
    deploymentId: string;
    modelId: string;
    probationS: number;
    tags?: AssignmentTags;
  }): Promise<unknown>;
}

/** Who publishes a placement command: an experiment (its arm's model: an auto arm's basis is for it). */
export interface PlacementWriter {
  experiment: string;
  modelId?: string;
  restore?: boolean;
}

/** What the driver needs of the boards besides assignments (the collector provides it). */
export interface BoardPort {
  /** The model a board is assigned now (its retained assignment, with tags), else the one its last status names; null: unknown. */
  currentModel(fleet: string, device: string): Promise<{ modelId: string; tags?: AssignmentTags } | null>;
  /** The board's retained cmd/placement payload now, null when the topic holds none. */
  retainedPlacement(fleet: string, device: string): Uint8Array | null;
  /**
   * Publishes retained on the board's cmd/placement for the experiment (which then holds the
   * device); with `restore`, the pre-experiment command (null clears it). Returns false when
   * nothing was published: a restore after the operator forced a command of their own.
   */
  publishPlacement(
    fleet: string,
    device: string,
    payload: Uint8Array | null,
    by: PlacementWriter,
  ): Promise<boolean>;
  /** Whether the registry holds the model (an assignment can be signed only for one). */
  registryHas(modelId: string): Promise<boolean>;
}
