"""Logs of 16 well-known systems (the layouts of the loghub collection): a time on every line, and
the level wherever the system writes one. The lines are written here in each system's layout."""

import calendar

import pytest

from devkit.logs.stitch import stitch
from devkit.logs.timestamps import Zone

ZONE = Zone.parse("UTC").at(calendar.timegm((2026, 11, 25, 0, 0, 0)))

SYSTEMS = {
    "Android": (True, [
        "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken",
        "03-17 16:13:38.839  1702  2113 V WindowManager: Skipping AppWindowToken -- going to hide",
        "03-17 16:13:45.466  1702 17632 W ActivityManager: Bad activity token: android.os.BinderProxy@2bd79ce",
        "03-17 16:13:47.009  1702  1815 E AndroidRuntime: FATAL EXCEPTION: main"]),
    "Apache": (True, [
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
        "[Sun Dec 04 04:51:08 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10"]),
    "BGL": (True, [
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO "
        "instruction cache parity error corrected",
        "APPREAD 1117869872 2005.06.04 R04-M1-N4-I:J18-U11 2005-06-04-00.24.32.432192 R04-M1-N4-I:J18-U11 RAS APP FATAL "
        "ciod: failed to read message prefix on control stream"]),
    "Hadoop": (True, [
        "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
        "2015-10-18 18:01:50,353 WARN [main] org.apache.hadoop.util.NativeCodeLoader: Unable to load native-hadoop"]),
    "HDFS": (True, [
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 "
        "terminating",
        "081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated"]),
    "HealthApp": (False, [
        "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
        "20171223-22:15:29:633|Step_StandReportReceiver|30002312|onReceive action: android.intent.action.SCREEN_ON"]),
    "HPC": (False, [
        "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component is unavailable",
        "2568643 node-70 action start 1074119817 1 clusterAddMember  (command 1902)"]),
    "Linux": (False, [
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh",
        "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown"]),
    "Mac": (False, [
        "Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: IOThunderboltSwitch<0>(0x0)::listenerCallback",
        "Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal pressure state: 1"]),
    "OpenSSH": (False, [
        "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com failed",
        "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"]),
    "OpenStack": (True, [
        "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server "
        "[req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 "
        "54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 \"GET /v2/servers/detail HTTP/1.1\" status: 200",
        "nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:04.500 2931 WARNING nova.compute.manager "
        "[req-addc1839-2ed5-4778-b57e-5854eb7b8b09 - - - - -] Instance is paused"]),
    "Proxifier": (False, [
        "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS",
        "[10.30 16:49:07] chrome.exe - proxy.cse.cuhk.edu.hk:5070 close, 0 bytes sent, 0 bytes received"]),
    "Spark": (True, [
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]",
        "17/06/09 20:10:41 WARN util.NativeCodeLoader: Unable to load native-hadoop library"]),
    "Thunderbird": (False, [
        "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root",
        "- 1131566463 2005.11.09 cn142 Nov 9 12:01:03 cn142/cn142 ntpd[7467]: synchronized to 10.100.20.250"]),
    "Windows": (True, [
        "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core",
        "2016-09-28 04:30:31, Warning               CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize failed"]),
    "Zookeeper": (True, [
        "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - "
        "Notification time out: 3200",
        "2015-07-29 19:04:12,394 - WARN  [RecvWorker:188978561024:QuorumCnxManager$RecvWorker@765] - Interrupting "
        "SendWorker"]),
}


@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_time_on_every_line_and_the_level_where_written(system):
    has_levels, lines = SYSTEMS[system]
    events = list(stitch([(n, line.encode()) for n, line in enumerate(lines, 1)], f"{system}.log", ZONE, system))
    assert len(events) == len(lines), [e.message for e in events]
    assert all(e.ts is not None and not e.ts_inherited for e in events)
    if has_levels:
        assert all(e.level for e in events), [(e.format, e.level) for e in events]


def test_sixteen_systems():
    assert len(SYSTEMS) == 16
