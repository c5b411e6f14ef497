"""Text formats, as data. Tried in this order; the first whose regex matches claims the line.

Specific layouts come before generic ones (a Celery line also "starts with a timestamp"). Each
definition's samples are parsed by the tests with ``--tz UTC`` and a 2026-11-25 reference time.
"""

from __future__ import annotations

from devkit.logs.formats.spec import Sample, TextFormat

_LOGCAT = {"V": "DEBUG", "D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR", "F": "CRITICAL", "A": "CRITICAL"}
_APACHE = {"emerg": "CRITICAL", "alert": "CRITICAL", "crit": "CRITICAL", "error": "ERROR", "warn": "WARNING",
           "notice": "INFO", "info": "INFO", "debug": "DEBUG",
           **{f"trace{n}": "DEBUG" for n in range(1, 9)}}

TEXT_FORMATS: tuple[TextFormat, ...] = (
    TextFormat(
        "json-block", r"\{", layout=None, first="{", hooks=("json-block",),
        samples=(Sample("{", opens=True),),
    ),
    TextFormat(
        # the seed's %(corrId)s - %(asctime)s - %(filename)s - %(funcName)s - %(message)s
        "python-corrid", r"(?P<corr>\S+) - {ts} - (?P<filename>[^ ]+) - (?P<funcName>[^ ]+) - (?P<msg>.*)",
        contains=" - ", rename={"corr": "corrId"}, hooks=("level-in-message",),
        samples=(Sample("123456 - 2016-05-16 21:26:31,448 - log.py - process_request - corrID 123456 extracted",
                        ts="2016-05-16T21:26:31.448+00:00", correlation_id="123456",
                        message="corrID 123456 extracted", fields={"filename": "log.py"}),
                 Sample("Internal - 2016-05-16 21:26:32,000 - log.py - tick - ERROR heartbeat late",
                        level="ERROR", correlation_id=None)),
    ),
    TextFormat(
        # OpenStack oslo.log; loghub's samples prefix each line with the log file's name
        "oslo", r"(?:(?P<logfile>[\w.-]+\.log[\w.:-]*) )?{ts} (?P<pid>\d+) {level} (?P<logger>\S+) "
                r"(?:\[(?P<ctx>[^\]]*)\] ?)?(?P<msg>.*)",
        first="0123456789abcdefghijklmnopqrstuvwxyz", stream=("pid", "logger"), opens_if="ctx", numbers=("pid",),
        hooks=("oslo-context",),
        samples=(Sample("2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-"
                        "a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] "
                        '10.11.10.1 "GET /v2/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829',
                        ts="2017-05-16T00:00:00.008+00:00", level="INFO", opens=True,
                        correlation_id="req-38101a0b-2096-447d-96ea-a692162415ae"),
                 Sample("nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.api [-] started",
                        ts="2017-05-16T00:00:00.008+00:00", level="INFO"),
                 Sample("2017-05-16 00:00:01.000 25746 ERROR nova.compute.manager Traceback (most recent call last):",
                        level="ERROR", opens=False)),
    ),
    TextFormat(
        # Celery worker: [2026-11-20 09:13:21,734: INFO/MainProcess] Task tasks.add[<id>] received
        "celery", r"\[{ts}: {level}/(?P<process>[^\]]+)\] (?P<msg>.*)", first="[", hooks=("celery-task",),
        samples=(Sample("[2026-11-20 09:13:21,734: INFO/MainProcess] Task tasks.add[8d9b6c4e-1f2a-4b3c-9d8e-"
                        "7f6a5b4c3d2e] received", ts="2026-11-20T09:13:21.734+00:00", level="INFO",
                        correlation_id="8d9b6c4e-1f2a-4b3c-9d8e-7f6a5b4c3d2e", fields={"task": "tasks.add"}),
                 Sample("[2026-11-20 09:13:21,760: INFO/ForkPoolWorker-1] Task tasks.add[8d9b6c4e-1f2a-4b3c-9d8e-"
                        "7f6a5b4c3d2e] succeeded in 0.025s: 5", duration=0.025,
                        fields={"task_state": "SUCCESS", "process": "ForkPoolWorker-1"}),
                 Sample("[2026-11-20 09:13:22,001: ERROR/ForkPoolWorker-2] Task tasks.div[0c5e1b2a-aaaa-bbbb-cccc-"
                        "111122223333] raised unexpected: ZeroDivisionError('division by zero')", level="ERROR",
                        fields={"task_state": "FAILURE"}),
                 Sample("[2026-11-20 09:13:23,001: INFO/MainProcess] Discarding revoked task: tasks.add[0c5e1b2a-aaaa-"
                        "bbbb-cccc-111122223334]", correlation_id="0c5e1b2a-aaaa-bbbb-cccc-111122223334",
                        fields={"task_state": "REVOKED", "task": "tasks.add"}),
                 Sample("[2026-11-20 09:13:24,001: ERROR/MainProcess] Task tasks.add[0c5e1b2a-aaaa-bbbb-cccc-"
                        "111122223335] rejected: WorkerLostError('Worker exited prematurely')", level="ERROR",
                        fields={"task_state": "REJECTED"}),
                 Sample("[2026-11-20 09:13:25,001: INFO/ForkPoolWorker-1] tasks.add[0c5e1b2a-aaaa-bbbb-cccc-"
                        "111122223336]: booking courier for request 5b8aa5a2", fields={"task": "tasks.add"},
                        correlation_id="0c5e1b2a-aaaa-bbbb-cccc-111122223336")),
    ),
    TextFormat(
        # gunicorn error log: [2026-11-20 09:13:21 +0000] [PID] [ERROR] text
        "gunicorn", r"\[{ts}\] \[(?P<pid>\d+)\] \[(?P<level>[A-Z]+)\] (?P<msg>.*)", first="[", numbers=("pid",),
        samples=(Sample("[2026-11-20 09:13:21 +0000] [41] [ERROR] Exception in worker process",
                        ts="2026-11-20T09:13:21.000+00:00", level="ERROR", fields={"pid": 41}),),
    ),
    TextFormat(
        # Flask's default handler: [2026-11-20 09:13:21,734] ERROR in views: text
        "flask", r"\[{ts}\] {level} in (?P<module>[^:]+): (?P<msg>.*)", first="[",
        samples=(Sample("[2026-11-20 09:13:21,734] ERROR in app: Exception on /checkout [POST]",
                        ts="2026-11-20T09:13:21.734+00:00", level="ERROR", message="Exception on /checkout [POST]"),),
    ),
    TextFormat(
        # Django's runserver: [20/Nov/2026 09:13:21] "GET /x HTTP/1.1" 200 12
        "django-server", r'\[{ts}\] "(?P<request>[^"\\]*(?:\\.[^"\\]*)*)" (?P<status>\d{3}) (?P<body_bytes_sent>\S+)',
        layout="django", first="[", status="status", hooks=("level-from-status",),
        samples=(Sample('[20/Nov/2026 09:13:21] "GET /api/quote HTTP/1.1" 500 145', ts="2026-11-20T09:13:21.000+00:00",
                        status=500, level="ERROR"),),
    ),
    TextFormat(
        # uwsgi request log
        "uwsgi", r"\[pid: (?P<pid>\d+)\|app: (?P<app>[^|]*)\|req: (?P<req>[^\]]*)\] (?P<remote_addr>\S+) "
                 r"\((?P<remote_user>[^)]*)\) \{(?P<vars>\d+) vars in (?P<vars_bytes>\d+) bytes\} \[{ts}\] "
                 r"(?P<method>\S+) (?P<uri>\S+) => generated (?P<body_bytes_sent>\d+) bytes in (?P<msecs>\d+) "
                 r"msecs \((?P<protocol>[^ )]+) (?P<status>\d{3})\)(?P<msg>.*)",
        layout="ctime", first="[", status="status", duration=("msecs", 1e-3), drop=("vars", "vars_bytes"),
        hooks=("level-from-status",),
        samples=(Sample("[pid: 12|app: 0|req: 7/31] 172.18.0.5 () {34 vars in 612 bytes} [Fri Nov 20 09:13:21 2026] "
                        "GET /api/price => generated 12 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 79 bytes "
                        "(1 switches on core 0)", ts="2026-11-20T09:13:21.000+00:00", status=200, duration=0.003,
                        level="INFO"),),
    ),
    TextFormat(
        # werkzeug (Flask's dev server): 127.0.0.1 - - [20/Nov/2026 09:13:21] "GET /x HTTP/1.1" 500 -
        "werkzeug", r'(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[{ts}\] "(?P<request>[^"\\]*(?:\\.[^"\\]*)*)" '
                    r"(?P<status>\d{3}) (?P<body_bytes_sent>\S+)(?P<msg>.*)",
        layout="django", contains='] "', status="status", hooks=("level-from-status",),
        samples=(Sample('127.0.0.1 - - [20/Nov/2026 09:13:21] "GET /x HTTP/1.1" 500 -',
                        ts="2026-11-20T09:13:21.000+00:00", status=500, level="ERROR"),),
    ),
    TextFormat(
        # nginx/Apache combined (and gunicorn's access log), with key=value fields or bare values after it
        "access", r'(?P<remote_addr>\S+) (?P<ident>\S+) (?P<remote_user>\S+) \[{ts}\] "(?P<request>[^"\\]*(?:\\.[^"\\]*)*)" '
                  r'(?P<status>\d{3}) (?P<body_bytes_sent>\S+)(?: "(?P<http_referer>[^"\\]*(?:\\.[^"\\]*)*)" '
                  r'"(?P<http_user_agent>[^"\\]*(?:\\.[^"\\]*)*)")?(?P<rest>.*)',
        layout="clf", contains=" [", status="status", drop=("ident",), hooks=("access-tail", "level-from-status"),
        samples=(Sample('192.0.2.1 - - [20/Nov/2026:09:14:03 +0000] "GET /api/orders HTTP/1.1" 502 0 "-" "curl/8" '
                        "corr=e5f011c3c08395f59280cb8e102d796b rt=3.054", ts="2026-11-20T09:14:03.000+00:00",
                        status=502, level="ERROR", duration=3.054, correlation_id="e5f011c3c08395f59280cb8e102d796b"),
                 Sample('10.0.0.7 - - [20/Nov/2026:09:14:03 +0000] "POST /checkout HTTP/1.1" 201 17 "-" "python" 0.131',
                        duration=0.131, status=201, level="INFO"),
                 Sample('10.0.0.7 - - [20/Nov/2026:09:14:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua" 15000', duration=0.015),
                 Sample('192.0.2.1 - - [20/Nov/2026:09:14:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua" corr=abc rt=0.015 '
                        "msec=1795165443.512", ts="2026-11-20T09:04:03.512+00:00")),
    ),
    TextFormat(
        # OpenTelemetry logging instrumentation (OTEL_PYTHON_LOG_CORRELATION=true), default format
        "otel-text", r"{ts} {level} \[(?P<logger>[^\]]*)\] \[(?P<location>[^\]]*)\] \[(?P<otel>trace_id=[^\]]*)\] "
                     r"- (?P<msg>.*)",
        first="0123456789", contains="[trace_id=", hooks=("otel-context",),
        samples=(Sample("2026-11-20 09:13:21,734 INFO [orders.api] [api.py:42] [trace_id=5b8aa5a2d2c872e8321cf37308d69df2 "
                        "span_id=051581bf3cb55c13 resource.service.name=orders trace_sampled=True] - order placed",
                        ts="2026-11-20T09:13:21.734+00:00", level="INFO", service="orders", message="order placed",
                        correlation_id="5b8aa5a2d2c872e8321cf37308d69df2"),),
    ),
    TextFormat(
        # Django's documented verbose formatter: {levelname} {asctime} {module} {process:d} {thread:d} {message}
        "django-verbose", r"{level} {ts} (?P<module>\S+) (?P<process>\d+) (?P<thread>\d+) (?P<msg>.*)",
        first="TDINWECFS",
        samples=(Sample("ERROR 2026-11-20 09:13:21,734 views 4242 140234567 Internal Server Error: /quote",
                        ts="2026-11-20T09:13:21.734+00:00", level="ERROR", message="Internal Server Error: /quote"),),
    ),
    TextFormat(
        # Android logcat -v threadtime (no year)
        "logcat", r"{ts} +(?P<pid>\d+) +(?P<tid>\d+) (?P<level>[VDIWEFA]) (?P<tag>.*?)\s*: (?P<msg>.*)",
        layout="MM-dd", first="01", levels=_LOGCAT, numbers=("pid", "tid"),
        samples=(Sample("03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app",
                        ts="2026-03-17T16:13:38.811+00:00", level="DEBUG", fields={"tag": "WindowManager"}),
                 Sample("03-17 16:13:45.466  1702 17632 W ActivityManager: Bad activity token", level="WARNING")),
    ),
    TextFormat(
        # log4j's default in Spark: yy/MM/dd HH:mm:ss LEVEL logger: message
        "log4j-spark", r"{ts} {level} (?P<logger>[^:\s]+): (?P<msg>.*)", layout="yy/MM/dd", first="0123456789",
        samples=(Sample("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers",
                        ts="2017-06-09T20:10:40.000+00:00", level="INFO"),),
    ),
    TextFormat(
        # Hadoop HDFS: yyMMdd HHmmss PID LEVEL logger: message
        "hdfs", r"{ts} (?P<pid>\d+) {level} (?P<logger>[^:\s]+): (?P<msg>.*)", layout="yyMMdd", first="0123456789",
        samples=(Sample("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
                        "blk_38865049064139660 terminating", ts="2008-11-09T20:36:15.000+00:00", level="INFO"),),
    ),
    TextFormat(
        # Apache httpd error log, 2.2 ([notice]) and 2.4 ([core:error] [pid N])
        "apache-error", r"\[{ts}\] \[(?:(?P<module>\w+):)?(?P<level>[a-z]+\d?)\] (?P<msg>.*)", layout="ctime",
        first="[", levels=_APACHE,
        samples=(Sample("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
                        ts="2005-12-04T04:47:44.000+00:00", level="INFO"),
                 Sample("[Sun Dec 04 04:51:52.123456 2005] [core:error] [pid 2134] mod_jk child in error state 6",
                        level="ERROR", fields={"module": "core"})),
    ),
    TextFormat(
        # yyyyMMdd-HH:mm:ss:SSS|component|pid|message (HealthApp and many Java apps)
        "pipe-compact", r"{ts}\|(?P<component>[^|]*)\|(?P<pid>\d+)\|(?P<msg>.*)", layout="yyyyMMdd-HH:mm:ss:SSS",
        first="12",
        samples=(Sample("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
                        ts="2017-12-23T22:15:29.606+00:00", fields={"component": "Step_LSC"}),),
    ),
    TextFormat(
        # [MM.dd HH:mm:ss] message (Proxifier and other Windows tools; no year)
        "bracket-mmdd", r"\[{ts}\] (?P<msg>.*)", layout="MM.dd", first="[",
        samples=(Sample("[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy",
                        ts="2026-10-30T16:49:06.000+00:00"),),
    ),
    TextFormat(
        # Blue Gene/L RAS: alert epoch date node time node type component LEVEL message
        "bgl", r"(?P<alert>\S+) {ts} (?P<date>\d{4}\.\d{2}\.\d{2}) (?P<node>\S+) (?P<local_time>\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}"
               r"\.\d{2}\.\d+) (?P<location>\S+) (?P<type>\S+) (?P<component>\S+) "
               r"(?P<level>INFO|WARNING|SEVERE|ERROR|FATAL|FAILURE) (?P<msg>.*)", layout="epoch",
        first="-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        samples=(Sample("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS "
                        "KERNEL INFO instruction cache parity error corrected", ts="2005-06-03T22:42:50.000+00:00",
                        level="INFO"),
                 Sample("KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 "
                        "R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt", level="CRITICAL")),
    ),
    TextFormat(
        # Thunderbird: alert epoch date node <syslog line>
        "thunderbird", r"(?P<alert>\S+) {ts} (?P<date>\d{4}\.\d{2}\.\d{2}) (?P<node>\S+) (?P<syslog_time>[A-Z][a-z]{2} "
                       r"+\d{1,2} \d{2}:\d{2}:\d{2}) (?P<location>\S+) (?P<msg>.*)", layout="epoch",
        first="-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        samples=(Sample("- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed "
                        "for user root", ts="2005-11-09T20:01:01.000+00:00"),),
    ),
    TextFormat(
        # HPC cluster events: logid node component state epoch flag message
        "hpc", r"(?P<logid>\d+) (?P<node>\S+) (?P<component>\S+) (?P<state>\S+) {ts} (?P<flag>\d) (?P<msg>.*)",
        layout="epoch", first="0123456789",
        samples=(Sample("134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: "
                        "Component is in the unavailable state (HWID=1973)", ts="2004-02-26T14:12:22.000+00:00"),),
    ),
    TextFormat(
        # Windows CBS: 2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack
        "windows-cbs", r"{ts}, (?P<level>Info|Warning|Error|Debug)\s+(?P<component>\S+)\s+(?P<msg>.*)",
        first="12", contains=", ",
        samples=(Sample("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505",
                        ts="2016-09-28T04:30:30.000+00:00", level="INFO", fields={"component": "CBS"}),),
    ),
    TextFormat(
        # Python's basicConfig default, LEVEL:logger:message (no time: it takes its wrapper's or inherits)
        "python-basic", r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?P<logger>[\w.]+):(?P<msg>.*)",
        layout=None, first="DIWEC",
        samples=(Sample("ERROR:root:payment failed", level="ERROR", message="payment failed"),),
    ),
    TextFormat(
        # anything that opens with an ISO-like time: %(asctime)s ..., Hadoop, Zookeeper, many more
        "timestamped", r"\[?{ts}\]?(?P<sep>[ :|,\-\]]+)(?:\[?{level}\]?(?:[ :|\-\]]+|\Z))?(?P<msg>.*)",
        first="[0123456789", drop=("sep",), hooks=("level-near-start",),
        samples=(Sample("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created "
                        "MRAppMaster", ts="2015-10-18T18:01:47.978+00:00", level="INFO"),
                 Sample("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774]"
                        " - Notification time out: 3200", level="INFO"),
                 Sample("2009-07-20 22:59:27,672:DEBUG:Hello", level="DEBUG", message="Hello")),
    ),
)

__all__ = ["TEXT_FORMATS"]
