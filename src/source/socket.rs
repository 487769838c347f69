//! Opening the live sources: UDP sockets for VXLAN/GENEVE (several per
//! address with SO_REUSEPORT, so the kernel spreads datagrams over receive
//! threads) and AF_PACKET sockets for capture from an interface.
//!
//! Unsafe code is allowed here and only here (with `source::socket`):
//! this is the syscall boundary; each block says why it is sound.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::mem::size_of;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

/// How long a receive call waits before the thread checks for shutdown
/// and flushes partly filled batches.
pub const RECV_TIMEOUT: Duration = Duration::from_millis(50);

/// An opened source socket and what the kernel granted.
pub struct Opened {
    pub socket: Socket,
    /// Receive buffer the kernel reports (it doubles the request for its
    /// own bookkeeping, and caps it at net.core.rmem_max unless forced).
    pub granted_rcvbuf: usize,
    /// SO_RCVBUFFORCE worked (CAP_NET_ADMIN): rmem_max did not apply.
    pub forced: bool,
}

fn set_int(fd: i32, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: passes a pointer to a live c_int of the size given.
    let r = unsafe {
        libc::setsockopt(fd, level, name, (&value as *const i32).cast(), size_of::<i32>() as libc::socklen_t)
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Asks for `bytes` of receive buffer, past rmem_max when we may.
fn size_rcvbuf(s: &Socket, bytes: usize) -> io::Result<bool> {
    let want = i32::try_from(bytes).unwrap_or(i32::MAX);
    if set_int(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, want).is_ok() {
        return Ok(true);
    }
    s.set_recv_buffer_size(bytes)?;
    Ok(false)
}

/// A UDP socket bound to `addr` for tunnel datagrams.
pub fn open_udp(addr: SocketAddr, rcvbuf: usize) -> io::Result<Opened> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        // Without this, [::]:4789 would also take IPv4 and collide with a
        // separate 0.0.0.0:4789 listener; listen on both for dual stack.
        s.set_only_v6(true)?;
    }
    s.set_reuse_port(true)?;
    let forced = size_rcvbuf(&s, rcvbuf)?;
    let fd = s.as_raw_fd();
    set_int(fd, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, 1)?;
    if addr.is_ipv6() {
        set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
    } else {
        set_int(fd, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)?;
    }
    s.set_read_timeout(Some(RECV_TIMEOUT))?;
    s.bind(&addr.into())?;
    let granted_rcvbuf = s.recv_buffer_size()?;
    Ok(Opened { socket: s, granted_rcvbuf, forced })
}

/// An AF_PACKET socket on `interface` receiving every frame (needs
/// CAP_NET_RAW). With `fanout`, sockets of the same group share the
/// interface's traffic by flow hash; `promiscuous` also takes frames not
/// addressed to this host (SPAN ports).
pub fn open_packet(interface: &str, rcvbuf: usize, fanout: Option<u16>, promiscuous: bool) -> io::Result<Opened> {
    let name = CString::new(interface).map_err(|_| io::Error::other("interface name contains NUL"))?;
    // SAFETY: plain libc calls with valid arguments; the fd is owned at once.
    let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if ifindex == 0 {
        return Err(io::Error::other(format!("no such interface \"{interface}\"")));
    }
    let proto = (libc::ETH_P_ALL as u16).to_be();
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, i32::from(proto)) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let s = Socket::from(unsafe { OwnedFd::from_raw_fd(fd) });
    // SAFETY: sockaddr_ll is a plain C struct; zero is valid.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = proto;
    sll.sll_ifindex = ifindex as i32;
    let r = unsafe {
        libc::bind(fd, (&sll as *const libc::sockaddr_ll).cast(), size_of::<libc::sockaddr_ll>() as libc::socklen_t)
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    if promiscuous {
        let mut mr: libc::packet_mreq = unsafe { std::mem::zeroed() };
        mr.mr_ifindex = ifindex as i32;
        mr.mr_type = libc::PACKET_MR_PROMISC as u16;
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_ADD_MEMBERSHIP,
                (&mr as *const libc::packet_mreq).cast(),
                size_of::<libc::packet_mreq>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    if let Some(group) = fanout {
        let arg = i32::from(group) | ((libc::PACKET_FANOUT_HASH | libc::PACKET_FANOUT_FLAG_DEFRAG) as i32) << 16;
        set_int(fd, libc::SOL_PACKET, libc::PACKET_FANOUT, arg)?;
    }
    let forced = size_rcvbuf(&s, rcvbuf)?;
    s.set_read_timeout(Some(RECV_TIMEOUT))?;
    let granted_rcvbuf = s.recv_buffer_size()?;
    Ok(Opened { socket: s, granted_rcvbuf, forced })
}

/// Frames an AF_PACKET socket dropped since the last call (the kernel
/// resets the counter when read).
pub fn packet_drops(s: &Socket) -> u64 {
    // SAFETY: tpacket_stats is a plain C struct filled by the kernel.
    let mut st: libc::tpacket_stats = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::tpacket_stats>() as libc::socklen_t;
    let r = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_STATISTICS,
            (&mut st as *mut libc::tpacket_stats).cast(),
            &mut len,
        )
    };
    if r == 0 {
        u64::from(st.tp_drops)
    } else {
        0
    }
}

/// A socket's receive buffer as the kernel accounts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketMemory {
    /// Bytes waiting (with the kernel's per-datagram overhead).
    pub queued: u64,
    pub capacity: u64,
    /// Datagrams dropped so far.
    pub drops: u64,
}

/// The receive buffer and the kernel's count of datagrams this socket
/// dropped (SO_MEMINFO). The drop count is exact at any moment, where
/// SO_RXQ_OVFL only rides on the next datagram received, so drops after
/// the last one that got in would otherwise stay unseen. None on kernels
/// without SO_MEMINFO (< 4.6).
pub fn socket_memory(s: &Socket) -> Option<SocketMemory> {
    const SK_MEMINFO_RMEM_ALLOC: usize = 0;
    const SK_MEMINFO_RCVBUF: usize = 1;
    const SK_MEMINFO_DROPS: usize = 8;
    let mut info = [0u32; 16];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `info`.
    let r = unsafe {
        libc::getsockopt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_MEMINFO, info.as_mut_ptr().cast(), &mut len)
    };
    let filled = len as usize / size_of::<u32>();
    (r == 0 && filled > SK_MEMINFO_DROPS).then(|| SocketMemory {
        queued: u64::from(info[SK_MEMINFO_RMEM_ALLOC]),
        capacity: u64::from(info[SK_MEMINFO_RCVBUF]),
        drops: u64::from(info[SK_MEMINFO_DROPS]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_read_without_a_later_datagram() {
        // A socket with the smallest buffer, filled while nobody reads it.
        let o = open_udp("127.0.0.1:0".parse().unwrap(), 1).unwrap();
        let to = o.socket.local_addr().unwrap().as_socket().unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..200 {
            let _ = tx.send_to(&[0u8; 1400], to);
        }
        let m = socket_memory(&o.socket).expect("SO_MEMINFO (Linux 4.6+)");
        assert!(m.drops > 0, "200 datagrams of 1400 bytes into a minimal buffer");
        assert!(m.queued > 0 && m.queued <= m.capacity * 2, "{m:?}");
    }
}
