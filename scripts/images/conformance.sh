#!/bin/sh
# Entrypoint of the longshore/conformance test image (busybox sh). It mirrors the entrypoint of
# Girder Worker's own docker_run test image, plus a few extra subcommands for longshore's tests.
#
#   stdio -m MSG                  print MSG (newline-terminated) to stdout
#   write -m MSG -p FILE          write MSG to FILE exactly, NO newline added (like Girder Worker's
#                                 fp.write(message)), so a reader sees precisely MSG
#   read -p FILE                  cat FILE to stdout
#   sigkill                       sleep 30 (to be killed by SIGKILL)
#   sigterm                       sleep 30; on SIGTERM print "SIGTERM received" and exit 0
#   stdout-stderr                 print "this is stdout data" / "this is stderr data"
#   progress -p FILE --progressions JSON [--no-final-newline]
#                                 write each object of the flat JSON array as one compact line to
#                                 FILE (opened once), 0.1 s apart; --no-final-newline leaves the
#                                 last line unterminated
#   read-write -i IN -o OUT       cat IN > OUT
#   print-path -p P               print P
#   raise-exception               print "girder docker exception" to stderr, exit 1
#   listdir -d DIR                ls -1 DIR
#   exit -c N                     exit with code N
#   sha256 -p FILE                print the sha256 hex digest of FILE (the hash only)
#   env -n NAME                   print the value of $NAME (exit 1 with a message if unset)
#   whoami | pwd                  print `id -u` | the working directory
#   sleep -s N                    sleep N seconds
#   stderr-then-exit -m MSG -c N  print MSG to stderr at once, exit N
#   write-root-files -d DIR       create DIR/sub/{a,b}.txt (mode 0600) and DIR/locked/c.txt inside a
#                                 directory of mode 0500, owned by the container user (root)
#   ignore-pipe -p FILE           never open FILE, exit 0 at once
#   head-pipe -p FILE -n BYTES    read only the first BYTES bytes of FILE, copy them to stdout, exit 0
#   write-pipe -p FILE -n MIB     write MIB mebibytes to FILE: the 64-byte line
#                                 "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_\n"
#                                 repeated (16384 lines per MiB)
# Anything else: usage on stderr, exit 2.

usage() {
  echo 'usage: conformance SUBCOMMAND [OPTIONS]'
  sed -n 's/^#   //p' "$0"
}

bad_usage() {
  [ $# -gt 0 ] && echo "conformance: $*" >&2
  usage >&2
  exit 2
}

cmd=${1:-}
[ $# -gt 0 ] && shift

MSG='' P='' IN='' OUT='' DIR='' CODE='' N='' SECS='' PROGRESSIONS='' FINAL_NEWLINE=1
while [ $# -gt 0 ]; do
  opt=$1
  case "$opt" in
    --no-final-newline)
      FINAL_NEWLINE=0
      shift
      continue
      ;;
  esac
  [ $# -ge 2 ] || bad_usage "option $opt needs a value"
  case "$opt" in
    -m | --message) MSG=$2 ;;
    -p | --path) P=$2 ;;
    -i | --input) IN=$2 ;;
    -o | --output) OUT=$2 ;;
    -d | --dir) DIR=$2 ;;
    -c | --code) CODE=$2 ;;
    -n | --name | --count) N=$2 ;;
    -s | --seconds) SECS=$2 ;;
    --progressions) PROGRESSIONS=$2 ;;
    *) bad_usage "unknown option $opt" ;;
  esac
  shift 2
done

# Split a flat JSON array of objects into one compact object per line (whitespace outside strings
# is dropped; braces and commas inside strings are respected).
split_objects() {
  awk 'BEGIN { RS = "\001" } {
    out = ""; instr = 0; esc = 0; depth = 0; n = length($0)
    for (i = 1; i <= n; i++) {
      c = substr($0, i, 1)
      if (instr) {
        out = out c
        if (esc) esc = 0; else if (c == "\\") esc = 1; else if (c == "\"") instr = 0
        continue
      }
      if (c == " " || c == "\t" || c == "\n" || c == "\r") continue
      if (c == "{") depth++
      if (depth > 0) out = out c
      if (c == "\"" && depth > 0) instr = 1
      if (c == "}") { depth--; if (depth == 0) { print out; out = "" } }
    }
  }'
}

case "$cmd" in
  stdio) printf '%s\n' "$MSG" ;;
  write) printf '%s' "$MSG" >"$P" ;;
  read) cat "$P" ;;
  sigkill) sleep 30 ;;
  sigterm)
    # sh is PID 1: without a handler SIGTERM would be ignored. Sleep in the background and `wait`
    # so the trap runs as soon as the signal arrives.
    trap 'echo "SIGTERM received"; exit 0' TERM
    sleep 30 &
    wait $!
    ;;
  stdout-stderr)
    echo 'this is stdout data'
    echo 'this is stderr data' >&2
    ;;
  progress)
    [ -n "$P" ] || bad_usage "progress needs -p FILE"
    lines=$(printf '%s' "$PROGRESSIONS" | split_objects) || exit 1
    total=$(printf '%s\n' "$lines" | grep -c .)
    exec 3>"$P"
    i=0
    printf '%s\n' "$lines" | while IFS= read -r line; do
      [ -n "$line" ] || continue
      i=$((i + 1))
      [ "$i" -gt 1 ] && sleep 0.1
      if [ "$i" -eq "$total" ] && [ "$FINAL_NEWLINE" = 0 ]; then
        printf '%s' "$line" >&3
      else
        printf '%s\n' "$line" >&3
      fi
    done
    exec 3>&-
    ;;
  read-write) cat "$IN" >"$OUT" ;;
  print-path) printf '%s\n' "$P" ;;
  raise-exception)
    echo 'girder docker exception' >&2
    exit 1
    ;;
  listdir) ls -1 "$DIR" ;;
  exit) exit "${CODE:-0}" ;;
  sha256)
    sum=$(sha256sum <"$P") || exit 1
    printf '%s\n' "${sum%% *}"
    ;;
  env)
    case "$N" in
      '' | [0-9]* | *[!A-Za-z0-9_]*) bad_usage "env needs -n NAME (a valid variable name)" ;;
    esac
    eval "isset=\${$N+x}"
    [ -n "$isset" ] || {
      echo "conformance: $N is not set" >&2
      exit 1
    }
    eval "printf '%s\n' \"\$$N\""
    ;;
  whoami) id -u ;;
  pwd) pwd ;;
  sleep) sleep "${SECS:-1}" ;;
  stderr-then-exit)
    printf '%s\n' "$MSG" >&2
    exit "${CODE:-1}"
    ;;
  write-root-files)
    [ -n "$DIR" ] || bad_usage "write-root-files needs -d DIR"
    mkdir -p "$DIR/sub" "$DIR/locked" || exit 1
    printf 'a' >"$DIR/sub/a.txt" && printf 'b' >"$DIR/sub/b.txt" && printf 'c' >"$DIR/locked/c.txt" || exit 1
    chmod 0600 "$DIR/sub/a.txt" "$DIR/sub/b.txt" "$DIR/locked/c.txt" && chmod 0500 "$DIR/locked"
    ;;
  ignore-pipe) exit 0 ;;
  head-pipe) head -c "${N:-1}" "$P" ;;
  write-pipe)
    yes '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_' | head -c $((${N:-1} * 1048576)) >"$P"
    ;;
  -h | --help | help) usage ;;
  '') bad_usage "no subcommand given" ;;
  *) bad_usage "unknown subcommand '$cmd'" ;;
esac
