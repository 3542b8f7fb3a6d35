"""The agents' websocket (filled in by the inbox issue)."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.close(code=4403)
