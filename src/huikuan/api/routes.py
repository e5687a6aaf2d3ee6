from ninja import NinjaAPI

api = NinjaAPI(title="huikuan API", version="1")
