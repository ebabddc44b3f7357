// The text of `emperor --help`.

/** Usage, options and subcommands of `emperor`. */
export const HELP = `Usage: emperor [options]
       emperor check [--tyrant] PATH...
       emperor systemd-unit [options] [--timeout-stop DUR] [--watchdog DUR|off]

Runs in the foreground and keeps every vassal (one INI file each in --vassals) alive:
a new file starts its program, an edit reloads it, a removed file stops it.

Options (each may also be set in the [emperor] section of --config; flags win):
  --vassals DIR            directory of vassal files            (/etc/emperor/vassals); repeatable:
                           a directory and etcd://HOST:PORT[,HOST:PORT...]/PREFIX combine
  --host-name NAME         (etcd) reads PREFIX/hosts/NAME/, holds PREFIX/emperors/NAME (hostname)
  --etcd-allow-root        (etcd, root) vassals from etcd may run as root (no user)
  --etcd-ca FILE           (etcd) CA certificate: TLS
  --etcd-cert FILE         (etcd) client certificate, with --etcd-key
  --etcd-key FILE          (etcd) client certificate's key
  --etcd-auth FILE         (etcd) one user:password line
  --etcd-lease-ttl DUR     (etcd) lease of the presence key     (10s)
  --config FILE            INI file with an [emperor] section (and [alarm:NAME] sections)
  --state-dir DIR          sockets and runtime state            ($EMPEROR_STATE_DIR, /run/emperor as root,
                                                                 else $XDG_RUNTIME_DIR/emperor or /tmp/emperor-$UID)
  --stats PATH             stats socket                         (<state-dir>/stats.sock)
  --stats-group GROUP      group owning the stats socket (0664): its members can read it
  --control PATH           control socket                       (<state-dir>/control.sock)
  --metrics HOST:PORT|off  /metrics, the status page (/), /events (127.0.0.1:9393)
  --web-token FILE         token (a file only its owner can read) that enables the status
                           page's restart/stop/start buttons; without it, read-only
  --log-dir DIR            base for relative vassal log paths   (<state-dir>/logs)
  --log-format text|json   the emperor's own event lines        (text)
  --sample-interval DUR    CPU/RSS sampling period              (5s)
  --rescan-interval DUR    full directory rescan                (30s)
  --tyrant                 (root) run each vassal as its file's owner and group, never as root
  --uwsgi PATH             binary for [uwsgi] vassals           (uwsgi)
  --uwsgi-heartbeat-timeout DUR
                           respawn a [uwsgi] vassal silent this long
                           after its first heartbeat            (30s)
  --supervisor-rpc ADDR    serve supervisord's XML-RPC interface for supervisorctl (off):
                           unix:/PATH (mode 0600), or tcp://HOST:PORT with --supervisor-rpc-auth
  --supervisor-rpc-auth FILE  one user:password line (a root-only file): HTTP basic auth
  --cgroup DIR|off         cgroup v2 containment: a cgroup per vassal under DIR (auto: the
                           emperor's own cgroup, as root); off: process groups only
  -h, --help               this text
  -V, --version            the version

Subcommands:
  check PATH...            validate vassal files or directories; prints FILE:LINE: message
                           per problem and exits 1 if any is an error (as root, also warns
                           about files a root emperor would refuse; --tyrant: its rules)
  systemd-unit [options]   print a systemd unit (Type=notify) that runs this emperor with
                           these options; --timeout-stop (300s) sets TimeoutStopSec,
                           --watchdog (30s, or off) WatchdogSec. Reads no vassal file.

Signals: TERM/INT stop every vassal and exit 0 (a second INT kills at once); HUP rescans
and re-reads --config. With NOTIFY_SOCKET set, it speaks systemd's sd_notify.
Vassal file reference: README.md.
`;
