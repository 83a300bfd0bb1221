import { endianness, platform } from 'node:os';

/** Facts about the machine we run on, read once. */
export const os = {
  littleEndian: endianness() === 'LE',
  platform: platform(),
};
