#!/bin/sh
# The `flask` commands of an installed Guichet, with the service's settings:
#   sudo -u guichet /srv/guichet/deploy/flask.sh admin create admin@exemple.fr
# (README, Production). GUICHET_ENV_FILE and GUICHET_HOME change where they are looked for.
set -eu
ENV_FILE="${GUICHET_ENV_FILE:-/etc/guichet/guichet.env}"
cd "${GUICHET_HOME:-/srv/guichet}"
set -a
. "$ENV_FILE"
set +a
export FLASK_APP=app:create_app
exec .venv/bin/flask "$@"
