# A DHCPv6 client for one SOLICIT (busybox here has none): python3 dhcp6_solicit.py IFNAME MAC. Sends a SOLICIT
# with an IA_NA from the interface's link-local address to ff02::1:2, prints the answer's message type, the server's
# DUID (hex) and each IA_NA address; up to three tries of three seconds. Used by OvnIT.
import socket, struct, sys, os
ifname, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', ''))
idx = socket.if_nametoindex(ifname)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', 546, 0, idx))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.settimeout(3)
xid = os.urandom(3)
duid = struct.pack('!HH', 3, 1) + mac
msg = bytes([1]) + xid + struct.pack('!HH', 1, len(duid)) + duid + struct.pack('!HHIII', 3, 12, 1, 0, 0) + struct.pack('!HHH', 8, 2, 0)
for attempt in range(3):
    s.sendto(msg, ('ff02::1:2', 547, 0, idx))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    if data[1:4] != xid:
        continue
    print('type', data[0])
    i = 4
    while i + 4 <= len(data):
        code, ln = struct.unpack('!HH', data[i:i + 4])
        body = data[i + 4:i + 4 + ln]
        if code == 3:
            j = 12
            while j + 4 <= len(body):
                c2, l2 = struct.unpack('!HH', body[j:j + 4])
                if c2 == 5:
                    print('address', socket.inet_ntop(socket.AF_INET6, body[j + 4:j + 20]))
                j += 4 + l2
        elif code == 2:
            print('server', body.hex())
        i += 4 + ln
    break
