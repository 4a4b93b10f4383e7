"""pytest plugin: stream one TAP test point per test case to a file descriptor so automake's
TAP driver records every case (pytest-tap 3.5 cannot load under pytest >= 9). Used by
run-s3.sh with `-p tap_report --rs-tap-fd 3`. Setup errors, failures and teardown errors
are `not ok`, skips are `ok ... # SKIP`, collection errors are `not ok` too; the plan is
printed at the end. Runs in: the pytest process."""

import os


def pytest_addoption(parser):
    parser.addoption("--rs-tap-fd", type=int, default=None,
                     help="write a TAP stream of the test results to this descriptor")


class TapStream:
    def __init__(self, fd):
        self.out = os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace")
        self.count = 0

    def point(self, ok, name, directive="", diag=""):
        self.count += 1
        name = name.replace("#", "\\#").replace("\n", " ")
        line = "%s %d - %s" % ("ok" if ok else "not ok", self.count, name)
        if directive:
            line += " # " + directive
        self.out.write(line + "\n")
        if diag:
            lines = diag.splitlines()
            if len(lines) > 60:
                lines = lines[:10] + ["..."] + lines[-49:]
            for d in lines:
                self.out.write("# " + d + "\n")

    def pytest_collectreport(self, report):
        if report.failed:
            self.point(False, "collect " + report.nodeid, diag=report.longreprtext)

    def pytest_runtest_logreport(self, report):
        if report.when == "setup":
            if report.failed:
                self.point(False, report.nodeid + " (setup)", diag=report.longreprtext)
            elif report.skipped:
                reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
                self.point(True, report.nodeid, directive="SKIP " + str(reason))
        elif report.when == "call":
            if hasattr(report, "wasxfail"):
                # TAP "not ok # TODO" is an expected failure (automake XFAIL); an
                # unexpected pass is "ok # TODO" (XPASS, counted as a failure)
                self.point(report.passed, report.nodeid, directive="TODO " + report.wasxfail)
            elif report.passed:
                self.point(True, report.nodeid)
            elif report.skipped:
                self.point(True, report.nodeid, directive="SKIP")
            else:
                self.point(False, report.nodeid, diag=report.longreprtext)
        elif report.when == "teardown" and report.failed:
            self.point(False, report.nodeid + " (teardown)", diag=report.longreprtext)

    def pytest_sessionfinish(self, session, exitstatus):
        self.out.write("1..%d\n" % self.count)
        self.out.flush()


def pytest_configure(config):
    fd = config.getoption("--rs-tap-fd")
    # under pytest-xdist only the controller writes (it receives every worker's reports)
    if fd is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(TapStream(fd), "rs-tap-stream")
