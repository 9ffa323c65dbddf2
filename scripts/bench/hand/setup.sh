#!/usr/bin/env bash
# Runs INSIDE the reference test host (flaskstack-bench-hand): builds the stacks the seed
# documents make by hand, with their settings, from the files scripts/bench/bench.sh copied to
# /opt/hand/src (this directory and the sample app):
#   :8083  Gunicorn alone, `gunicorn -w (2 x cores + 1) app:app` (sync workers, no access log)
#   :8086  nginx -> that Gunicorn over TCP (proxy_pass), /static/ by nginx
#   :8087  nginx -> uWSGI (uwsgi_pass, unix socket, the documents' uwsgi.ini), /static/ by nginx
# Each server runs as a plain systemd service so that its processes can be found (and measured)
# through its cgroup, like the collection's. Versions: those the collection installs.
set -euo pipefail
SRC=/opt/hand/src
PIP_PKGS=${PIP_PKGS:-"gunicorn==27.0.1 uWSGI==2.0.31"}
export DEBIAN_FRONTEND=noninteractive
log() { printf '[hand-setup] %s\n' "$*" >&2; }

log "apt-get install nginx python3-venv (and gcc, python3-dev: uWSGI compiles)"
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends nginx python3-venv python3-dev gcc libc6-dev >/dev/null

log "app and virtualenv under /opt/hand ($PIP_PKGS, the sample app's requirements)"
rm -rf /opt/hand/app && cp -r "$SRC/app" /opt/hand/app
chmod -R a+rX /opt/hand/app
[ -x /opt/hand/venv/bin/python ] || python3 -m venv /opt/hand/venv
# shellcheck disable=SC2086
/opt/hand/venv/bin/pip install -q --disable-pip-version-check -r /opt/hand/app/requirements.txt $PIP_PKGS

workers=$((2 * $(nproc) + 1))
cat >/etc/systemd/system/hand-gunicorn.service <<UNIT
[Unit]
Description=Gunicorn alone, as the documents start it (gunicorn -w $workers)
After=network.target
[Service]
User=www-data
Group=www-data
WorkingDirectory=/opt/hand/app
ExecStart=/opt/hand/venv/bin/gunicorn -w $workers -b 0.0.0.0:8083 app:app
[Install]
WantedBy=multi-user.target
UNIT
install -m 0644 "$SRC/uwsgi.ini" /opt/hand/uwsgi.ini
cat >/etc/systemd/system/hand-uwsgi.service <<UNIT
[Unit]
Description=uWSGI with the documents' uwsgi.ini
After=network.target
[Service]
User=www-data
Group=www-data
RuntimeDirectory=hand
ExecStart=/opt/hand/venv/bin/uwsgi --ini /opt/hand/uwsgi.ini
KillSignal=SIGTERM
[Install]
WantedBy=multi-user.target
UNIT
install -m 0644 "$SRC/nginx.conf" /etc/nginx/nginx.conf
rm -f /etc/nginx/sites-enabled/default
nginx -t -q
systemctl daemon-reload
systemctl enable -q hand-gunicorn hand-uwsgi nginx
systemctl restart hand-gunicorn hand-uwsgi
for _ in $(seq 40); do [ -S /run/hand/uwsgi.sock ] && break; sleep 0.25; done
systemctl restart nginx
log "gunicorn $workers sync workers on :8083, nginx on :8086 (-> gunicorn) and :8087 (-> uWSGI)"
