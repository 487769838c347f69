//! Batched sending on a connected UDP socket: `sendmmsg(2)` on Linux, one
//! `send` per datagram elsewhere. The one place in the load tool that talks
//! to the C library.

#![allow(unsafe_code)]

use std::io;
use std::net::UdpSocket;

/// A batch of datagrams borrowed from the prepared buffer. The header
/// arrays are allocated once, when the batch is made, and reused.
pub struct Batch<'a> {
    #[cfg(target_os = "linux")]
    hdrs: Vec<libc::mmsghdr>,
    #[cfg(target_os = "linux")]
    iovs: Vec<libc::iovec>,
    slices: Vec<&'a [u8]>,
}

impl<'a> Batch<'a> {
    pub fn with_capacity(cap: usize) -> Self {
        let cap = cap.max(1);
        Batch {
            #[cfg(target_os = "linux")]
            // SAFETY: mmsghdr is a plain C struct of integers and pointers;
            // all-zero is its documented initial state (null name, no
            // control data, no iovecs).
            hdrs: (0..cap).map(|_| unsafe { std::mem::zeroed::<libc::mmsghdr>() }).collect(),
            #[cfg(target_os = "linux")]
            iovs: (0..cap).map(|_| libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }).collect(),
            slices: Vec::with_capacity(cap),
        }
    }

    pub fn clear(&mut self) {
        self.slices.clear();
    }

    /// Adds a datagram; false when the batch is full.
    pub fn push(&mut self, datagram: &'a [u8]) -> bool {
        if self.slices.len() == self.slices.capacity() {
            return false;
        }
        self.slices.push(datagram);
        true
    }

    pub fn len(&self) -> usize {
        self.slices.len()
    }

    /// Payload bytes of entries `from..to`.
    pub fn bytes(&self, from: usize, to: usize) -> u64 {
        self.slices.get(from..to).map_or(0, |s| s.iter().map(|d| d.len() as u64).sum())
    }

    /// Sends entries `from..` and returns how many the kernel took (at
    /// least one), or the error of the first that failed.
    #[cfg(target_os = "linux")]
    pub fn send(&mut self, sock: &UdpSocket, from: usize) -> io::Result<usize> {
        use std::os::fd::AsRawFd;

        let n = self.slices.len().saturating_sub(from);
        if n == 0 {
            return Ok(0);
        }
        // The pointers are written just before the call, never kept across
        // a mutation of the arrays, so they cannot dangle or alias.
        for i in from..self.slices.len() {
            self.iovs[i] =
                libc::iovec { iov_base: self.slices[i].as_ptr() as *mut libc::c_void, iov_len: self.slices[i].len() };
        }
        let iovs = self.iovs.as_mut_ptr();
        for (i, h) in self.hdrs.iter_mut().enumerate().take(self.slices.len()).skip(from) {
            // SAFETY: i < iovs.len() (hdrs and iovs have the same length).
            h.msg_hdr.msg_iov = unsafe { iovs.add(i) };
            h.msg_hdr.msg_iovlen = 1;
            h.msg_len = 0;
        }
        // SAFETY: entries from..from+n of hdrs are initialised mmsghdrs whose
        // single iovec points into slices borrowed for 'a, alive for the
        // call; the kernel only reads iov_base (it is a send), and vlen is at
        // most the batch capacity, which the caller bounds to 1024
        // (UIO_MAXIOV) or the kernel silently caps.
        let rc = unsafe { libc::sendmmsg(sock.as_raw_fd(), self.hdrs.as_mut_ptr().add(from), n as libc::c_uint, 0) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(rc as usize)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn send(&mut self, sock: &UdpSocket, from: usize) -> io::Result<usize> {
        match self.slices.get(from) {
            Some(d) => sock.send(d).map(|_| 1),
            None => Ok(0),
        }
    }
}

/// Asks for a send buffer of `bytes`, so that a burst at full speed waits
/// less on the socket; the kernel caps it (net.core.wmem_max) and a refusal
/// only costs speed, so the result is ignored.
#[cfg(target_os = "linux")]
pub fn grow_send_buffer(sock: &UdpSocket, bytes: usize) {
    use std::os::fd::AsRawFd;

    let val = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: SO_SNDBUF takes a c_int; the pointer and length describe
    // `val`, which lives across the call.
    unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&val as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
pub fn grow_send_buffer(_sock: &UdpSocket, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_fills_to_capacity_and_sends_over_loopback() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.connect(rx.local_addr().unwrap()).unwrap();
        let data = [b"one".as_slice(), b"two", b"three"];
        let mut b = Batch::with_capacity(2);
        assert!(b.push(data[0]) && b.push(data[1]) && !b.push(data[2]));
        assert_eq!((b.len(), b.bytes(0, 2), b.bytes(1, 5)), (2, 6, 0));
        let mut sent = 0;
        while sent < b.len() {
            sent += b.send(&tx, sent).unwrap();
        }
        assert_eq!(b.send(&tx, sent).unwrap(), 0);
        let mut buf = [0u8; 16];
        for want in &data[..2] {
            let n = rx.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], *want);
        }
        b.clear();
        assert_eq!(b.len(), 0);
    }
}
