"""The Hexwatch Chalice app: blueprints and middleware are registered here, and nothing else happens."""

from chalice import Chalice

from chalicelib.api.account import account_api
from chalicelib.api.alerts import alerts_api
from chalicelib.api.areas import areas_api
from chalicelib.api.feeds import feeds_api
from chalicelib.api.officers import officer_api
from chalicelib.api.origin_verify import register_origin_verify
from chalicelib.api.origins import register_cross_site_guard
from chalicelib.api.partners import partners_api
from chalicelib.api.reference import reference_api
from chalicelib.api.registry import registry_api
from chalicelib.api.replies import replies_api
from chalicelib.api.signup import signup_api
from chalicelib.api.stats import stats_api
from chalicelib.api.surveys import surveys_api
from chalicelib.api.unsubscribe import unsubscribe_api
from chalicelib.api.web_replies import web_replies_api
from chalicelib.observability import register_observability
from chalicelib.workers.alerts import alert_workers
from chalicelib.workers.housekeeping import housekeeping_workers
from chalicelib.workers.inbound import inbound_workers
from chalicelib.workers.receipts import receipt_workers
from chalicelib.workers.ses_events import ses_event_workers
from chalicelib.workers.stats import stats_workers
from chalicelib.workers.transactional import transactional_workers
from chalicelib.workers.webhooks import webhook_workers

app = Chalice(app_name="hexwatch")
register_observability(app)
register_origin_verify(app)
register_cross_site_guard(app)
app.register_blueprint(signup_api)
app.register_blueprint(account_api)
app.register_blueprint(unsubscribe_api)
app.register_blueprint(reference_api)
app.register_blueprint(officer_api)
app.register_blueprint(areas_api)
app.register_blueprint(alerts_api)
app.register_blueprint(registry_api)
app.register_blueprint(replies_api)
app.register_blueprint(web_replies_api)
app.register_blueprint(surveys_api)
app.register_blueprint(partners_api)
app.register_blueprint(feeds_api)
app.register_blueprint(stats_api)
app.register_blueprint(transactional_workers)
app.register_blueprint(ses_event_workers)
app.register_blueprint(housekeeping_workers)
app.register_blueprint(alert_workers)
app.register_blueprint(receipt_workers)
app.register_blueprint(inbound_workers)
app.register_blueprint(webhook_workers)
app.register_blueprint(stats_workers)
