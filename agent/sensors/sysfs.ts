// The sysfs helpers moved to common/sysfs.ts (the inference server reads powercap too); the
// sensors keep importing them from here.

export * from '../../common/sysfs.js';
