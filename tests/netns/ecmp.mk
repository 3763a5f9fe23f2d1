# tests/netns: two gateways behind an ECMP router (issue 15).  ecmp_lab.sh
# builds the topology (router with an L4-hashing multipath route, two
# gateways, backends and redis-server on a shared LAN) for ecmp.sh and for
# tests/demo.sh --gateways 2.  Needs root; skips (77) without it.
TESTS += tests/netns/ecmp.sh
EXTRA_DIST += tests/netns/ecmp.sh tests/netns/ecmp_lab.sh tests/demo_ecmp.sh
