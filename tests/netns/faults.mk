# tests/netns: faults under traffic and the bounded soak (issue 8).  Both
# need root and the built daemon and tools; they skip (77) without root.
# The soak's length is WGW_SOAK_SECONDS (CI default ~90 s); docs/faults.md
# says how to run the long forms.
TESTS += tests/netns/faults.sh tests/netns/soak.sh
EXTRA_DIST += tests/netns/faults.sh tests/netns/soak.sh docs/faults.md
