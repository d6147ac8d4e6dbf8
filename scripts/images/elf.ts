// What the test images need to know of an ELF file: its program interpreter (a dynamically linked
// binary names the loader the kernel starts) and the shared libraries it asks for (DT_NEEDED).
// Read from the program headers, as the loader does, so that stripped files work too.

export interface ElfInfo {
  /** The PT_INTERP path, e.g. /lib64/ld-linux-x86-64.so.2; undefined when statically linked. */
  interpreter?: string;
  /** The sonames of DT_NEEDED, in order. */
  needed: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

export function readElf(file: Buffer, path: string): ElfInfo {
  if (file.length < 64 || file.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
  const is64 = file[4] === 2;
  const le = file[5] === 1;
  const u16 = (at: number) => (le ? file.readUInt16LE(at) : file.readUInt16BE(at));
  const u32 = (at: number) => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const u64 = (at: number) => Number(le ? file.readBigUInt64LE(at) : file.readBigUInt64BE(at));
  const word = is64 ? u64 : u32;

  const phoff = word(is64 ? 0x20 : 0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    segments.push(
      is64
        ? { type: u32(at), offset: u64(at + 8), vaddr: u64(at + 16), filesz: u64(at + 32) }
        : { type: u32(at), offset: u32(at + 4), vaddr: u32(at + 8), filesz: u32(at + 16) },
    );
  }
  const cString = (at: number) => file.toString('latin1', at, file.indexOf(0, at));

  const interp = segments.find((s) => s.type === PT_INTERP);
  const info: ElfInfo = { needed: [] };
  if (interp) info.interpreter = cString(interp.offset);

  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dynamic) return info;
  const entrySize = is64 ? 16 : 8;
  const neededOffsets: number[] = [];
  let strtabAddress: number | undefined;
  for (let at = dynamic.offset; at + entrySize <= dynamic.offset + dynamic.filesz; at += entrySize) {
    const tag = word(at);
    const value = word(at + entrySize / 2);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) neededOffsets.push(value);
    if (tag === DT_STRTAB) strtabAddress = value;
  }
  if (neededOffsets.length === 0) return info;
  // DT_STRTAB is a virtual address: find the file offset through the loadable segment holding it.
  const load = segments.find(
    (s) =>
      s.type === PT_LOAD &&
      strtabAddress !== undefined &&
      strtabAddress >= s.vaddr &&
      strtabAddress < s.vaddr + s.filesz,
  );
  if (!load || strtabAddress === undefined)
    throw new Error(`${path}: no string table for its DT_NEEDED entries`);
  const strtab = strtabAddress - load.vaddr + load.offset;
  info.needed = neededOffsets.map((offset) => cString(strtab + offset));
  return info;
}
