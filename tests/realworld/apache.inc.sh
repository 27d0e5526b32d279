# Apache httpd with a private config, sourced by cases/apache-{prefork,worker,event}.sh
# after rw_init, with MPM set. Starts the server in the foreground (master as root,
# children as www-data), waits for it, and starts wrk with APACHE_CONNS connections.
# Sets APACHE_MASTER and PORT.
rw_need_pkgs apache2 wrk curl

PORT=$(rw_free_port)
MODS=/usr/lib/apache2/modules
mkdir -p "$WORK/html" "$WORK/run"
head -c 4096 /dev/urandom | base64 > "$WORK/html/index.html"
chown www-data "$WORK/run"

case $MPM in
  prefork)
    MPM_CONF="StartServers 8
MinSpareServers 8
MaxSpareServers 16
ServerLimit 16
MaxRequestWorkers 16
MaxConnectionsPerChild 0" ;;
  worker|event)
    MPM_CONF="StartServers 2
ServerLimit 2
MinSpareThreads 8
MaxSpareThreads 32
ThreadsPerChild 16
MaxRequestWorkers 32
MaxConnectionsPerChild 0" ;;
  *) rw_die "unknown MPM $MPM" ;;
esac

cat > "$WORK/httpd.conf" <<EOF
ServerRoot "$WORK"
ServerName localhost
DefaultRuntimeDir "$WORK/run"
PidFile "$WORK/run/httpd.pid"
Mutex file:$WORK/run default
ErrorLog "$WORK/error.log"
LogLevel warn
Listen 127.0.0.1:$PORT
LoadModule mpm_${MPM}_module $MODS/mod_mpm_${MPM}.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dir_module $MODS/mod_dir.so
User www-data
Group www-data
TypesConfig /etc/mime.types
<Directory />
  AllowOverride None
  Require all denied
</Directory>
DocumentRoot "$WORK/html"
<Directory "$WORK/html">
  AllowOverride None
  Require all granted
</Directory>
DirectoryIndex index.html
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog "$WORK/access.log" common
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
EnableSendfile On
$MPM_CONF
EOF

rw_bg apache apache2 -DFOREGROUND -f "$WORK/httpd.conf"
rw_wait_http "http://127.0.0.1:$PORT/index.html"
APACHE_MASTER=${RW_PID[apache]}
# Let the children start before the load arrives.
sleep 1
rw_load_wrk "${APACHE_CONNS:-8}" 4 "http://127.0.0.1:$PORT/index.html"
sleep 1
