from core import portals


def register_blueprints(app):
    from blueprints.auth import bp as auth_bp
    from blueprints.components import bp as components_bp
    from blueprints.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/compte")
    app.register_blueprint(components_bp, url_prefix="/composants")
    if app.config.get("DEV_MAILBOX"):
        from blueprints.devmail import bp as devmail_bp
        app.register_blueprint(devmail_bp, url_prefix="/dev")

    for portal in portals.enabled(app):
        app.register_blueprint(portal.load_blueprint(), url_prefix=f"/{portal.code}")
