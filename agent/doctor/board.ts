// Recognises the board the agent runs on from what the system says about itself: the device-tree
// model (Raspberry Pi, Jetson), /etc/nv_tegra_release (Jetson L4T, hence JetPack), or the DMI
// product name (x86). The root is injectable so tests read a fake tree.

import { join } from 'node:path';
import { type Board, recogniseBoard } from '../../protocol/boards/index.js';
import { readTrimmed } from '../sensors/sysfs.js';

export interface BoardIdentity {
  model: string | undefined;
  /** Which file the model came from. */
  modelSource: string | undefined;
  /** L4T release, e.g. `R35.4.1`, when /etc/nv_tegra_release exists. */
  l4t: string | undefined;
  /** JetPack major version implied by the L4T release. */
  jetpack: string | undefined;
  profile: Board | undefined;
}

const MODEL_FILES = [
  'proc/device-tree/model',
  'sys/firmware/devicetree/base/model',
  'sys/class/dmi/id/product_name',
];

/** L4T major release → JetPack major version (NVIDIA's release tables). */
const JETPACK_OF_L4T: Record<string, string> = { '32': '4', '34': '5', '35': '5', '36': '6', '38': '7' };

export function parseTegraRelease(text: string): { l4t: string; jetpack: string | undefined } | undefined {
  const match = /R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)/.exec(text);
  if (!match) return undefined;
  const [, major = '', revision = ''] = match;
  return { l4t: `R${major}.${revision}`, jetpack: JETPACK_OF_L4T[major] };
}

export function identifyBoard(root: string): BoardIdentity {
  let model: string | undefined;
  let modelSource: string | undefined;
  for (const file of MODEL_FILES) {
    // Device-tree strings end in a NUL byte.
    const text = readTrimmed(join(root, file))?.replace(/\0/g, '').trim();
    if (text) {
      model = text;
      modelSource = `/${file}`;
      break;
    }
  }
  const tegraText = readTrimmed(join(root, 'etc/nv_tegra_release'));
  const tegra = tegraText === undefined ? undefined : parseTegraRelease(tegraText);
  return {
    model,
    modelSource,
    l4t: tegra?.l4t,
    jetpack: tegra?.jetpack,
    profile: model === undefined ? undefined : recogniseBoard(model),
  };
}
