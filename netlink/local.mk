# netlink: filled in by its owner
