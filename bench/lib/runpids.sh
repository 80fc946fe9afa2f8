# Processes a DUT run starts (daemon, testpmd) when the run itself is a subshell (read ... < <(run_dut ...)): the
# script's own pids array never sees them, so the run records each with run_pid, and reap_runs (after every run, and
# in the script's exit trap) stops any that is still alive: a run that fails half-way must not leave a daemon
# spinning on the DUT's CPU under the next runs. Needs $work and a log function.
run_pid() { echo "$1" >> "$work/run-pids"; }

reap_runs() {
  [ -f "$work/run-pids" ] || return 0
  local p
  while read -r p; do
    if kill -0 "$p" 2>/dev/null && grep -qaE 'xvio|testpmd' "/proc/$p/cmdline" 2>/dev/null; then
      log "stopping a process a run left behind: $(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-100)"
      kill "$p" 2>/dev/null || true; sleep 1
      if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
    fi
  done < "$work/run-pids"
  rm -f "$work/run-pids"
}

# end_run DUT PACKETS SECONDS: after a run, stops what it left behind and fails the script clearly if it printed no
# rate (a run that died half-way prints nothing, and bc would fail on the empty numbers further on).
end_run() {
  reap_runs
  [ -n "$2" ] && [ -n "$3" ] && [[ "$2$3" =~ ^[0-9.]+$ ]] || { log "FAIL: $1's run printed no rate (see above)"; exit 1; }
}
