# Sourced by bench/loopback and bench/gc (run it to print the table).
# 1,000 L3/L4 flows in six mask shapes (none matches testpmd's 198.18.0.1 -> 198.18.0.2 UDP 9 -> 9 traffic,
# so every packet is classified past them), then the two in_port flows at low priority
flows1000() {
  local i
  for i in $(seq 0 999); do
    local a=$((i / 256)) b=$((i % 256))
    case $((i % 6)) in
      0) echo "priority=100,tcp,nw_src=10.$a.$b.1,tp_dst=$((1000 + i)),actions=drop" ;;
      1) echo "priority=110,ip,nw_dst=10.$a.$b.0/24,actions=drop" ;;
      2) echo "priority=120,ip,nw_src=172.$a.0.0/16,nw_dst=10.$b.0.0/16,actions=drop" ;;
      3) echo "priority=130,udp,tp_src=$((2000 + i)),actions=drop" ;;
      4) echo "priority=140,ip,nw_src=192.168.$a.$b,nw_tos=32,actions=drop" ;;
      5) echo "priority=150,tcp,nw_src=10.$a.$b.9,tp_src=$((3000 + i)),tp_dst=80,actions=drop" ;;
    esac
  done
  echo "priority=1,in_port=1,actions=output:2"
  echo "priority=1,in_port=2,actions=output:1"
}


if [ "${BASH_SOURCE[0]}" = "$0" ]; then flows1000; fi
