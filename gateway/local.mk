# gateway/: the daemon and its engine.  The packet codec and the engine have
# fragments of their own.
include gateway/codec.mk
include gateway/engine.mk
include gateway/config.mk

libwgw_a_SOURCES += gateway/log.c gateway/log.h

sbin_PROGRAMS += wraith-gatewayd
wraith_gatewayd_SOURCES = gateway/main.c
