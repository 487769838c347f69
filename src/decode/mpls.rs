//! MPLS label stacks (RFC 3032) on Ethernet (ethertypes 0x8847/0x8848) and
//! in GRE. The stack does not say what it carries; like Suricata we take
//! the explicit-null labels at the bottom at their word and otherwise guess
//! from the first nibble after the stack: 4 or 6 is IP, 0 is the control
//! word of an Ethernet pseudowire (RFC 4448).

use super::DecodeError;

pub const ETHERTYPE_MPLS_UNICAST: u16 = 0x8847;
pub const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;

const LABEL_IPV4_EXPLICIT_NULL: u32 = 0;
const LABEL_IPV6_EXPLICIT_NULL: u32 = 2;
/// The pseudowire control word before an Ethernet frame.
const PW_CONTROL_WORD_LEN: usize = 4;
/// Stacks deeper than this are refused: real networks stack a handful.
pub const MAX_LABELS: usize = 16;

/// What follows the label stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MplsPayload {
    Ipv4,
    Ipv6,
    Ethernet,
}

/// Walks a label stack: returns what follows it and where (from the
/// start of `buf`).
pub fn mpls_stack(buf: &[u8]) -> Result<(MplsPayload, usize), DecodeError> {
    let mut at = 0;
    for _ in 0..MAX_LABELS {
        let shim = buf.get(at..at + 4).ok_or(DecodeError::MplsTooShort)?;
        let entry = u32::from_be_bytes([shim[0], shim[1], shim[2], shim[3]]);
        at += 4;
        if entry & 0x100 == 0 {
            continue; // not the bottom of the stack
        }
        return match entry >> 12 {
            LABEL_IPV4_EXPLICIT_NULL => Ok((MplsPayload::Ipv4, at)),
            LABEL_IPV6_EXPLICIT_NULL => Ok((MplsPayload::Ipv6, at)),
            _ => match buf.get(at).map(|b| b >> 4) {
                Some(4) => Ok((MplsPayload::Ipv4, at)),
                Some(6) => Ok((MplsPayload::Ipv6, at)),
                Some(0) if buf.len() >= at + PW_CONTROL_WORD_LEN => {
                    Ok((MplsPayload::Ethernet, at + PW_CONTROL_WORD_LEN))
                }
                Some(0) | None => Err(DecodeError::MplsTooShort),
                Some(_) => Err(DecodeError::MplsUnknownPayload),
            },
        };
    }
    Err(DecodeError::MplsTooManyLabels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_label_then_ip() {
        // Label 16, bottom of stack, TTL 64; IPv4 by its first nibble.
        assert_eq!(mpls_stack(&[0x00, 0x01, 0x01, 0x40, 0x45]).unwrap(), (MplsPayload::Ipv4, 4));
        assert_eq!(mpls_stack(&[0x00, 0x01, 0x01, 0x40, 0x60]).unwrap(), (MplsPayload::Ipv6, 4));
    }

    #[test]
    fn stacked_labels_and_explicit_null() {
        let s = [0x00, 0x01, 0x00, 0x40, 0x00, 0x00, 0x21, 0x40, 0x99];
        // Explicit null for IPv6 at the bottom wins over the nibble guess.
        assert_eq!(mpls_stack(&s).unwrap(), (MplsPayload::Ipv6, 8));
        let s = [0x00, 0x00, 0x01, 0x40, 0x99];
        assert_eq!(mpls_stack(&s).unwrap(), (MplsPayload::Ipv4, 4));
    }

    #[test]
    fn pseudowire() {
        let s = [0x00, 0x01, 0x01, 0x40, 0, 0, 0, 0, 0x02];
        assert_eq!(mpls_stack(&s).unwrap(), (MplsPayload::Ethernet, 8));
        assert_eq!(mpls_stack(&s[..6]).unwrap_err(), DecodeError::MplsTooShort);
    }

    #[test]
    fn truncated_and_impossible() {
        assert_eq!(mpls_stack(&[0x00, 0x01, 0x01]).unwrap_err(), DecodeError::MplsTooShort);
        // No bottom-of-stack bit before the bytes run out.
        assert_eq!(mpls_stack(&[0x00, 0x01, 0x00, 0x40]).unwrap_err(), DecodeError::MplsTooShort);
        assert_eq!(mpls_stack(&[0x00, 0x01, 0x01, 0x40]).unwrap_err(), DecodeError::MplsTooShort);
        assert_eq!(mpls_stack(&[0x00, 0x01, 0x01, 0x40, 0x15]).unwrap_err(), DecodeError::MplsUnknownPayload);
        let deep = [0x00, 0x01, 0x00, 0x40].repeat(MAX_LABELS + 1);
        assert_eq!(mpls_stack(&deep).unwrap_err(), DecodeError::MplsTooManyLabels);
    }
}
