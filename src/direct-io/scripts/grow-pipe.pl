#!/usr/bin/perl
# Grows the pipe on fd 3 to the size given (see pipe-size.ts): fcntl(fd, F_SETPIPE_SZ = 1031, size).
# Exits 1 when the pipe keeps its size.
use strict;
# A number, not the argument's string: fcntl passes a string as a pointer to its bytes.
my $size = $ARGV[0] + 0;
open(my $f, '<&=', 3) or exit 1;
fcntl($f, 1031, $size) or exit 1;
