# Sourced by the project's scripts: finds JDK 25 and installs what xvio and its tests need on Debian 12.
# Safe to source repeatedly: it only installs what is missing.

xvio_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

xvio_find_jdk() {
  for d in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/jdk-25*; do
    if [ -n "$d" ] && [ -x "$d/bin/javac" ] && "$d/bin/java" -version 2>&1 | grep -q 'version "25'; then
      echo "$d"; return 0
    fi
  done
  return 1
}

xvio_need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "xvio: $1 needs root (vhost-user tests use network namespaces, testpmd and QEMU); run as root" >&2
    exit 1
  fi
}

# Debian packages: command -> package
xvio_install_packages() {
  local missing=()
  command -v mvn >/dev/null || missing+=(maven)
  command -v dpdk-testpmd >/dev/null || missing+=(dpdk-dev)
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
  ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || missing+=(linux-image-amd64)
  command -v cpio >/dev/null || missing+=(cpio)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v modprobe >/dev/null || missing+=(kmod)
  command -v xz >/dev/null || missing+=(xz-utils)
  command -v zstd >/dev/null || missing+=(zstd)
  command -v lscpu >/dev/null || missing+=(util-linux)
  command -v bc >/dev/null || missing+=(bc)
  # uplink tests turn checksum offload off on veth peers (AF_XDP carries no checksum state)
  command -v ethtool >/dev/null || missing+=(ethtool)
  # the benchmark rig (and the smoke run at the end of the test suite) compares with OVS-DPDK
  [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ] || missing+=(openvswitch-switch-dpdk)
  # the metrics test scrapes xvio with a real Prometheus and lints its output with promtool; top runs under tmux
  command -v prometheus >/dev/null || missing+=(prometheus)
  command -v tmux >/dev/null || missing+=(tmux)
  # CaptureAndMirrorIT and TestpmdLoopbackIT read xvio's pcap files with tcpdump -r (and tshark)
  command -v tcpdump >/dev/null || missing+=(tcpdump)
  command -v tshark >/dev/null || missing+=(tshark)
  # JSON checks (python3 -m json.tool) and the HTTP backends of GroupsAndConjunctionsIT (python3 -m http.server)
  command -v python3 >/dev/null || missing+=(python3)
  # the differential test (OvsDifferentialIT) runs OVS's userspace datapath (no DPDK, no kernel module)
  [ -x /usr/lib/openvswitch-switch/ovs-vswitchd ] || missing+=(openvswitch-switch)
  # OvsdbIT: a private ovsdb-server with OVS's Open_vSwitch schema, driven by ovs-vsctl
  { command -v ovsdb-server >/dev/null && command -v ovs-vsctl >/dev/null && [ -f /usr/share/openvswitch/vswitch.ovsschema ]; } \
    || missing+=(openvswitch-switch)
  # OpenFlowIT drives xvio's OpenFlow sockets with OVS's own client
  command -v ovs-ofctl >/dev/null || missing+=(openvswitch-common)
  # OpenFlowControllerIT: a real controller, an os-ken application (the library Neutron's agent uses)
  [ -x /usr/bin/osken-manager ] || missing+=(python3-os-ken)
  # OvnIT: a real ovn-controller (ovn-host) against xvio, with OVN's NB/SB schemas, ovsdb-server and ovn-northd
  # (ovn-central); the test runs its own daemons in a temp dir, never the packages' services
  command -v ovn-controller >/dev/null || missing+=(ovn-host)
  { command -v ovn-northd >/dev/null && [ -f /usr/share/ovn/ovn-sb.ovsschema ]; } || missing+=(ovn-central)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "xvio: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # no package may start a system-wide daemon during the install (ovn-central would serve /var/run/ovn, ovn-host
    # start ovn-controller on /var/run/openvswitch): a policy-rc.d that denies every start, for this install only
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\n# xvio scripts/env.sh: no service starts while the test packages install\nexit 101\n' > "$policy"
      chmod 755 "$policy"
    fi
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    [ -n "$policy" ] && rm -f "$policy"
    # and none at the next boot either
    if [ -d /run/systemd/system ] && [[ " ${missing[*]} " == *" ovn-"* ]]; then
      systemctl disable --now ovn-host ovn-controller ovn-central ovn-northd ovn-ovsdb-server-nb ovn-ovsdb-server-sb >/dev/null 2>&1 || true
    fi
  fi
}

xvio_setup() {
  xvio_need_root "${1:-setup}"
  xvio_install_packages
  if ! JAVA_HOME=$(xvio_find_jdk); then
    echo "xvio: JDK 25 not found (looked in \$JAVA_HOME and /usr/lib/jvm/temurin-25-jdk-amd64); install Temurin 25 there" >&2
    exit 1
  fi
  export JAVA_HOME
  export PATH="$JAVA_HOME/bin:$PATH"
}

xvio_build() {
  (cd "$xvio_root" && mvn -q -B -DskipTests package) || { echo "xvio: build failed" >&2; exit 1; }
}
