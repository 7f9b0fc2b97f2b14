//! Data structures shared with the tenders, laid out exactly as Solo5's C
//! headers declare them (`include/hvt_abi.h`, `spt_abi.h`, `mft_abi.h`,
//! `elf_abi.h`). Pure data: usable and tested on the host.

/// ABI version our images carry: Solo5 0.8 and later tenders (0.7.x was 1).
pub const ABI_VERSION: u32 = 2;

/// `enum abi_target` value of the hvt tender.
pub const HVT_ABI_TARGET: u32 = 1;
/// `enum abi_target` value of the spt tender.
pub const SPT_ABI_TARGET: u32 = 2;

/// ELF note type of the ABI note ("ABI1" little-endian).
pub const ABI1_NOTE_TYPE: u32 = 0x3149_4241;
/// ELF note type of the manifest note ("MFT1" little-endian).
pub const MFT1_NOTE_TYPE: u32 = 0x3154_464d;
/// Owner name of both Solo5 notes, NUL-terminated and padded to 4 bytes.
pub const NOTE_NAME: [u8; 8] = *b"Solo5\0\0\0";
/// `sizeof("Solo5")`, the `n_namesz` of Solo5 notes.
pub const NOTE_NAMESZ: u32 = 6;

/// Manifest format version (`MFT_VERSION`).
pub const MFT_VERSION: u32 = 1;
/// Most entries a manifest may hold, the implicit first one included.
pub const MFT_MAX_ENTRIES: usize = 64;
/// Size of a device name field, terminator included.
pub const MFT_NAME_SIZE: usize = 68;

/// Kind of a manifest entry (`mft_type_t`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MftType {
    /// A block device.
    Block = 1,
    /// A network device.
    Net = 2,
    /// The mandatory first entry of every manifest (empty name).
    ReservedFirst = 1 << 30,
}

/// One manifest entry (`struct mft_entry`, 104 bytes). The tender fills in
/// the device properties and the host descriptor when it attaches a device.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MftEntry {
    /// Device name, NUL-terminated.
    pub name: [u8; MFT_NAME_SIZE],
    /// `MftType` as a raw number.
    pub kind: u32,
    /// Union of `mft_block_basic { u64 capacity; u16 block_size; }` and
    /// `mft_net_basic { u8 mac[6]; u16 mtu; }`.
    pub properties: [u64; 2],
    /// Union of the backing host descriptor (spt) and a tender pointer.
    pub backing: u64,
    /// Whether the tender attached the device (C `bool`).
    pub attached: u8,
    /// Explicit trailing padding so the static carries no uninitialised bytes.
    pub padding: [u8; 7],
}

impl MftEntry {
    /// The entry Solo5 requires first in every manifest.
    pub const RESERVED_FIRST: MftEntry = MftEntry::new("", MftType::ReservedFirst);

    /// An unattached entry, as the image declares it.
    ///
    /// Fails at compile time (in a `const`) when the name is too long.
    pub const fn new(name: &str, kind: MftType) -> MftEntry {
        let bytes = name.as_bytes();
        assert!(
            bytes.len() < MFT_NAME_SIZE,
            "Solo5 device names have at most 67 bytes"
        );
        let mut field = [0u8; MFT_NAME_SIZE];
        let mut i = 0;
        while i < bytes.len() {
            assert!(bytes[i] != 0, "device names cannot contain NUL");
            field[i] = bytes[i];
            i += 1;
        }
        MftEntry {
            name: field,
            kind: kind as u32,
            properties: [0; 2],
            backing: 0,
            attached: 0,
            padding: [0; 7],
        }
    }

    /// The name up to its terminator.
    pub fn name_bytes(&self) -> &[u8] {
        let len = self
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MFT_NAME_SIZE);
        &self.name[..len]
    }

    /// Block device properties: (capacity in bytes, block size in bytes).
    pub fn block_properties(&self) -> (u64, u16) {
        (self.properties[0], self.properties[1] as u16)
    }

    /// Network device properties: (MAC address, MTU).
    pub fn net_properties(&self) -> ([u8; 6], u16) {
        let raw = self.properties[0].to_le_bytes();
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&raw[..6]);
        (mac, u16::from_le_bytes([raw[6], raw[7]]))
    }
}

/// The manifest proper (`struct mft` with `N` entries).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Mft<const N: usize> {
    /// `MFT_VERSION`.
    pub version: u32,
    /// Number of entries, `N`.
    pub entries: u32,
    /// The entries, `RESERVED_FIRST` first.
    pub entry: [MftEntry; N],
}

/// Header of a manifest as the tender hands it over at run time, followed in
/// memory by `entries` entries.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MftHeader {
    /// `MFT_VERSION`.
    pub version: u32,
    /// Number of entries that follow.
    pub entries: u32,
}

/// The `.note.solo5.manifest` ELF note (`struct mft1_note`).
///
/// Packed to 4 so the PT_NOTE is 4-aligned: the tender finds the manifest 24
/// bytes into the note (it skips the padding itself), and `readelf -n`, which
/// parses 8-aligned notes differently, can then display it.
#[repr(C, packed(4))]
#[derive(Clone, Copy, Debug)]
pub struct Mft1Note<const N: usize> {
    /// `n_namesz`.
    pub namesz: u32,
    /// `n_descsz`: everything after the 20-byte header, alignment padding included.
    pub descsz: u32,
    /// `n_type`, `MFT1_NOTE_TYPE`.
    pub note_type: u32,
    /// `n_name`, "Solo5".
    pub name: [u8; 8],
    /// The 4 bytes that align the manifest to 8, written out explicitly.
    pub padding: u32,
    /// The manifest.
    pub mft: Mft<N>,
}

/// Size of an ELF note header with the "Solo5" name (`struct mft1_nhdr`).
pub const NOTE_HEADER_SIZE: usize = 20;

impl<const N: usize> Mft1Note<N> {
    /// A manifest note declaring `devices` (after the implicit first entry).
    pub const fn new(devices: [MftEntry; N]) -> Self {
        assert!(
            N >= 1 && N <= MFT_MAX_ENTRIES,
            "a manifest holds 1 to 64 entries"
        );
        assert!(
            devices[0].kind == MftType::ReservedFirst as u32,
            "first entry must be RESERVED_FIRST"
        );
        Mft1Note {
            namesz: NOTE_NAMESZ,
            descsz: (core::mem::size_of::<Self>() - NOTE_HEADER_SIZE) as u32,
            note_type: MFT1_NOTE_TYPE,
            name: NOTE_NAME,
            padding: 0,
            mft: Mft {
                version: MFT_VERSION,
                entries: N as u32,
                entry: devices,
            },
        }
    }
}

/// The `.note.solo5.abi` ELF note (`struct abi1_note`).
#[repr(C, align(4))]
#[derive(Clone, Copy, Debug)]
pub struct Abi1Note {
    /// `n_namesz`.
    pub namesz: u32,
    /// `n_descsz`, 16.
    pub descsz: u32,
    /// `n_type`, `ABI1_NOTE_TYPE`.
    pub note_type: u32,
    /// `n_name`, "Solo5".
    pub name: [u8; 8],
    /// `abi_target`.
    pub target: u32,
    /// `abi_version`.
    pub version: u32,
    /// Reserved, zero.
    pub reserved: [u32; 2],
}

impl Abi1Note {
    /// The note for `target` (`HVT_ABI_TARGET` or `SPT_ABI_TARGET`).
    pub const fn new(target: u32) -> Self {
        Abi1Note {
            namesz: NOTE_NAMESZ,
            descsz: 16,
            note_type: ABI1_NOTE_TYPE,
            name: NOTE_NAME,
            target,
            version: ABI_VERSION,
            reserved: [0; 2],
        }
    }
}

/// The OpenBSD identification note that must be the first PT_NOTE, so that
/// OpenBSD hosts honour `.interp` and refuse to run the image.
#[repr(C, align(4))]
#[derive(Clone, Copy, Debug)]
pub struct OpenBsdNote {
    /// Always 8.
    pub namesz: u32,
    /// Always 4.
    pub descsz: u32,
    /// Always 1 (NT_VERSION).
    pub note_type: u32,
    /// "OpenBSD".
    pub name: [u8; 8],
    /// Unused, zero.
    pub data: u32,
}

impl OpenBsdNote {
    /// The note as Solo5 declares it.
    pub const VALUE: OpenBsdNote = OpenBsdNote {
        namesz: 8,
        descsz: 4,
        note_type: 1,
        name: *b"OpenBSD\0",
        data: 0,
    };
}

/// `.interp` contents: a path that exists nowhere, so a host kernel refuses
/// to execute an image by mistake.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct Interp(pub [u8; 24]);

impl Interp {
    /// `"/nonexistent/solo5/"` padded with NULs.
    pub const VALUE: Interp = Interp(*b"/nonexistent/solo5/\0\0\0\0\0");
}

/// Boot information the hvt tender passes to `_start` (`struct hvt_boot_info`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct HvtBootInfo {
    /// Guest memory size in bytes.
    pub mem_size: u64,
    /// End of the loaded image.
    pub kernel_end: u64,
    /// TSC frequency in Hz, measured by the tender.
    pub cpu_cycle_freq: u64,
    /// Command line, a C string.
    pub cmdline: u64,
    /// The manifest with attached devices.
    pub mft: u64,
}

/// Boot information the spt tender passes to `_start` (`struct spt_boot_info`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SptBootInfo {
    /// Guest memory size in bytes.
    pub mem_size: u64,
    /// End of the loaded image.
    pub kernel_end: u64,
    /// Command line, a C string.
    pub cmdline: u64,
    /// The manifest with attached devices (`hostfd` filled in).
    pub mft: u64,
    /// epoll set containing every net device and the timer, for yield.
    pub epollfd: i32,
    /// timerfd used for yield deadlines.
    pub timerfd: i32,
}

/// epoll `data` of the spt internal timerfd (`SPT_INTERNAL_TIMERFD`).
pub const SPT_INTERNAL_TIMERFD: u64 = !1u32 as u64;

/// Result codes of Solo5 calls (`solo5_result_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solo5Result {
    /// Success.
    Ok,
    /// Nothing available now (net read).
    Again,
    /// Invalid argument.
    Invalid,
    /// Unspecified error.
    Unspecified,
}

impl Solo5Result {
    /// From the raw value a tender writes.
    pub fn from_raw(raw: i32) -> Solo5Result {
        match raw {
            0 => Solo5Result::Ok,
            1 => Solo5Result::Again,
            2 => Solo5Result::Invalid,
            _ => Solo5Result::Unspecified,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn mft_entry_matches_c_layout() {
        assert_eq!(size_of::<MftEntry>(), 104);
        assert_eq!(align_of::<MftEntry>(), 8);
        assert_eq!(offset_of!(MftEntry, kind), 68);
        assert_eq!(offset_of!(MftEntry, properties), 72);
        assert_eq!(offset_of!(MftEntry, backing), 88);
        assert_eq!(offset_of!(MftEntry, attached), 96);
    }

    #[test]
    fn manifest_note_matches_c_layout() {
        // struct mft1_note: 20-byte header, mft aligned to 8 at offset 24.
        assert_eq!(offset_of!(Mft1Note<2>, mft), 24);
        assert_eq!(size_of::<Mft1Note<2>>(), 24 + 8 + 2 * 104);
        let note = Mft1Note::new([
            MftEntry::RESERVED_FIRST,
            MftEntry::new("service", MftType::Net),
        ]);
        // n_descsz counts from the end of the header: padding + mft.
        assert_eq!({ note.descsz } as usize, 4 + 8 + 2 * 104);
        let mft = note.mft;
        assert_eq!(mft.entries, 2);
        assert_eq!(mft.entry[1].name_bytes(), b"service");
        assert_eq!(mft.entry[1].kind, 2);
        assert_eq!(mft.entry[0].kind, 1 << 30);
        assert_eq!(core::mem::align_of::<Mft1Note<2>>(), 4);
    }

    #[test]
    fn abi_note_matches_c_layout() {
        assert_eq!(size_of::<Abi1Note>(), 36);
        assert_eq!(offset_of!(Abi1Note, target), 20);
        let note = Abi1Note::new(SPT_ABI_TARGET);
        assert_eq!((note.target, note.version, note.descsz), (2, 2, 16));
        assert_eq!(size_of::<OpenBsdNote>(), 24);
    }

    #[test]
    fn boot_info_matches_c_layout() {
        assert_eq!(size_of::<HvtBootInfo>(), 40);
        assert_eq!(offset_of!(SptBootInfo, epollfd), 32);
        assert_eq!(offset_of!(SptBootInfo, timerfd), 36);
    }

    #[test]
    fn device_properties_decode() {
        let mut entry = MftEntry::new("service", MftType::Net);
        entry.properties[0] = u64::from_le_bytes([0x02, 0, 0, 0, 0, 0x01, 0xdc, 0x05]);
        assert_eq!(entry.net_properties(), ([2, 0, 0, 0, 0, 1], 1500));
        let mut block = MftEntry::new("storage", MftType::Block);
        block.properties = [1 << 20, 512];
        assert_eq!(block.block_properties(), (1 << 20, 512));
    }

    #[test]
    #[should_panic(expected = "at most 67 bytes")]
    fn overlong_name_is_rejected() {
        let _ = MftEntry::new(core::str::from_utf8(&[b'a'; 68]).unwrap(), MftType::Net);
    }
}
