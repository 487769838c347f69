//! Batched receive: one `recvmmsg` call fills up to `batch` datagrams, each
//! into its own fixed slot of one preallocated buffer, with its source
//! address and control messages (the kernel's drop counter, the address the
//! datagram was sent to). Nothing is allocated after construction.
//!
//! Unsafe code is allowed here and only here (with `source::socket`):
//! this is the syscall boundary; each block says why it is sound.
#![allow(unsafe_code)]

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// Control-message space per datagram: SO_RXQ_OVFL (u32) plus an
/// IPv6 packet-info record, with alignment padding.
const CTRL_BYTES: usize = 128;

/// What the kernel said about one received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvInfo {
    /// Bytes stored in the slot (at most the slot's capacity).
    pub len: usize,
    /// The datagram was longer than the slot and was cut (MSG_TRUNC).
    pub truncated: bool,
    pub source: Option<SocketAddr>,
    /// Destination address from IP_PKTINFO/IPV6_PKTINFO (wildcard binds).
    pub dest: Option<IpAddr>,
    /// The socket's cumulative drop counter (SO_RXQ_OVFL), when present.
    pub kernel_drops: Option<u32>,
    /// AF_PACKET: the frame was sent by this host (PACKET_OUTGOING).
    pub outgoing: bool,
}

/// Preallocated `recvmmsg` state for `batch` datagrams of up to
/// `capacity` bytes, each stored after `headroom` free bytes.
pub struct RecvRing {
    headroom: usize,
    capacity: usize,
    slot: usize,
    bufs: Vec<u8>,
    iovs: Vec<libc::iovec>,
    names: Vec<libc::sockaddr_storage>,
    ctrls: Vec<[u64; CTRL_BYTES / 8]>,
    hdrs: Vec<libc::mmsghdr>,
    filled: usize,
}

// SAFETY: the raw pointers in `iovs`/`hdrs` point into the ring's own heap
// buffers, which are never reallocated and move with the ring.
unsafe impl Send for RecvRing {}

impl RecvRing {
    pub fn new(batch: usize, headroom: usize, capacity: usize) -> RecvRing {
        let batch = batch.clamp(1, 1024);
        // Slots start on a cache line so headers written into the headroom
        // never straddle two datagrams' lines.
        let slot = (headroom + capacity).next_multiple_of(64);
        let mut r = RecvRing {
            headroom,
            capacity,
            slot,
            bufs: vec![0u8; slot * batch],
            // SAFETY: all-zero is a valid value of these plain C structs.
            iovs: vec![unsafe { zeroed::<libc::iovec>() }; batch],
            names: vec![unsafe { zeroed::<libc::sockaddr_storage>() }; batch],
            ctrls: vec![[0u64; CTRL_BYTES / 8]; batch],
            hdrs: vec![unsafe { zeroed::<libc::mmsghdr>() }; batch],
            filled: 0,
        };
        for i in 0..batch {
            r.iovs[i].iov_base = r.bufs[i * slot + headroom..].as_mut_ptr().cast();
            r.iovs[i].iov_len = capacity;
            let h = &mut r.hdrs[i].msg_hdr;
            h.msg_iov = &mut r.iovs[i];
            h.msg_iovlen = 1;
            h.msg_name = (&mut r.names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_control = r.ctrls[i].as_mut_ptr().cast();
        }
        r
    }

    pub fn batch(&self) -> usize {
        self.hdrs.len()
    }

    pub fn headroom(&self) -> usize {
        self.headroom
    }

    /// Receives up to `batch` datagrams, waiting (up to the socket's receive
    /// timeout) for the first only. Returns how many arrived; a timeout or an
    /// interrupted call returns 0.
    pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        for h in &mut self.hdrs {
            h.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_hdr.msg_controllen = CTRL_BYTES as _;
            h.msg_hdr.msg_flags = 0;
            h.msg_len = 0;
        }
        // SAFETY: every header points at live buffers of the sizes given.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                self.hdrs.as_mut_ptr(),
                self.hdrs.len() as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            self.filled = 0;
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted => Ok(0),
                _ => Err(e),
            };
        }
        self.filled = n as usize;
        Ok(self.filled)
    }

    /// Datagram `i` of the last call: its slot (headroom, then data) and
    /// what the kernel reported.
    pub fn get(&mut self, i: usize) -> Option<(&mut [u8], RecvInfo)> {
        if i >= self.filled {
            return None;
        }
        let h = &self.hdrs[i];
        let len = (h.msg_len as usize).min(self.capacity);
        let mut info = RecvInfo {
            len,
            truncated: h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
            source: None,
            dest: None,
            kernel_drops: None,
            outgoing: false,
        };
        let name_len = h.msg_hdr.msg_namelen as usize;
        parse_name(&self.names[i], name_len, &mut info);
        parse_control(&h.msg_hdr, &mut info);
        let slot = self.bufs.get_mut(i * self.slot..i * self.slot + self.headroom + len)?;
        Some((slot, info))
    }
}

fn parse_name(ss: &libc::sockaddr_storage, len: usize, info: &mut RecvInfo) {
    let family = i32::from(ss.ss_family);
    // SAFETY (all casts): the kernel wrote a sockaddr of this family and
    // length; sockaddr_storage is large and aligned enough for each.
    if family == libc::AF_INET && len >= size_of::<libc::sockaddr_in>() {
        let a = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
        let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
        info.source = Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port))));
    } else if family == libc::AF_INET6 && len >= size_of::<libc::sockaddr_in6>() {
        let a = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
        let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
        let port = u16::from_be(a.sin6_port);
        info.source = Some(match ip.to_ipv4_mapped() {
            Some(v4) => SocketAddr::V4(SocketAddrV4::new(v4, port)),
            None => SocketAddr::V6(SocketAddrV6::new(ip, port, 0, a.sin6_scope_id)),
        });
    } else if family == libc::AF_PACKET && len >= size_of::<libc::sockaddr_ll>() - 8 {
        let a = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_ll>() };
        info.outgoing = a.sll_pkttype == libc::PACKET_OUTGOING;
    }
}

fn parse_control(h: &libc::msghdr, info: &mut RecvInfo) {
    // SAFETY: the CMSG_* helpers walk the control buffer the kernel filled,
    // bounded by msg_controllen; data is read unaligned.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(h);
        while !c.is_null() {
            let (level, kind) = ((*c).cmsg_level, (*c).cmsg_type);
            let data = libc::CMSG_DATA(c);
            if level == libc::SOL_SOCKET && kind == libc::SO_RXQ_OVFL {
                info.kernel_drops = Some(std::ptr::read_unaligned(data.cast::<u32>()));
            } else if level == libc::IPPROTO_IP && kind == libc::IP_PKTINFO {
                let p = std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                info.dest = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(p.ipi_addr.s_addr))));
            } else if level == libc::IPPROTO_IPV6 && kind == libc::IPV6_PKTINFO {
                let p = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                let ip = Ipv6Addr::from(p.ipi6_addr.s6_addr);
                info.dest = Some(ip.to_ipv4_mapped().map_or(IpAddr::V6(ip), IpAddr::V4));
            }
            c = libc::CMSG_NXTHDR(h, c);
        }
    }
}
