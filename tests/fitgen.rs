//! A small FIT writer for synthetic test files, written from the FIT protocol document: a
//! 14-byte header with its CRC, definition and data messages (little-endian), and the file CRC.
//! It knows nothing of the profile: callers give field numbers, sizes and base types.

/// FIT base types used by the tests.
pub const ENUM: u8 = 0x00;
pub const UINT8: u8 = 0x02;
pub const SINT16: u8 = 0x83;
pub const UINT16: u8 = 0x84;
pub const UINT32: u8 = 0x86;

/// Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
pub const FIT_EPOCH: i64 = 631_065_600;

/// The FIT time of a Unix time in seconds.
pub fn fit_time(unix_s: i64) -> u64 {
    (unix_s - FIT_EPOCH) as u64
}

/// The FIT SDK's CRC-16 (nibble table).
pub fn crc16(bytes: &[u8]) -> u16 {
    const T: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    let mut crc = 0u16;
    for &b in bytes {
        let mut tmp = T[(crc & 0xF) as usize];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ T[(b & 0xF) as usize];
        tmp = T[(crc & 0xF) as usize];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ T[(b >> 4) as usize];
    }
    crc
}

/// A FIT file being written.
#[derive(Default)]
pub struct FitWriter {
    records: Vec<u8>,
    /// Field sizes of each local message type's definition.
    sizes: [Vec<u8>; 16],
}

impl FitWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines local message `local` as global message `global` with `(number, size, base type)`
    /// fields.
    pub fn define(&mut self, local: u8, global: u16, fields: &[(u8, u8, u8)]) -> &mut Self {
        self.records.extend([0x40 | local, 0, 0]);
        self.records.extend(global.to_le_bytes());
        self.records.push(fields.len() as u8);
        for &(num, size, base) in fields {
            self.records.extend([num, size, base]);
        }
        self.sizes[local as usize] = fields.iter().map(|f| f.1).collect();
        self
    }

    /// A data message of local type `local`; each value is written in its field's size
    /// (two's complement for negative values).
    pub fn data(&mut self, local: u8, values: &[i64]) -> &mut Self {
        let sizes = self.sizes[local as usize].clone();
        assert_eq!(sizes.len(), values.len(), "one value per defined field");
        self.records.push(local);
        for (v, size) in values.iter().zip(sizes) {
            self.records.extend(&v.to_le_bytes()[..size as usize]);
        }
        self
    }

    /// A `file_id` message of type `file_type` from a Garmin device, as local type 0.
    pub fn file_id(&mut self, file_type: i64, created_unix_s: i64) -> &mut Self {
        self.define(0, 0, &[(0, 1, ENUM), (1, 2, UINT16), (2, 2, UINT16), (4, 4, UINT32)]);
        self.data(0, &[file_type, 1, 3113, fit_time(created_unix_s) as i64])
    }

    /// The whole file: header, messages and CRC.
    pub fn finish(&self) -> Vec<u8> {
        let mut out = vec![14u8, 0x20];
        out.extend(2132u16.to_le_bytes());
        out.extend((self.records.len() as u32).to_le_bytes());
        out.extend(b".FIT");
        let header_crc = crc16(&out);
        out.extend(header_crc.to_le_bytes());
        out.extend(&self.records);
        let crc = crc16(&out);
        out.extend(crc.to_le_bytes());
        out
    }
}

#[test]
fn crc_of_the_check_string() {
    // CRC-16/ARC (poly 0xA001 reflected, init 0), which the FIT CRC is: "123456789" gives 0xBB3D,
    // the catalogue's check value.
    assert_eq!(crc16(b"123456789"), 0xBB3D);
}
