from django.shortcuts import render

from workspaces.access import workspace_member_required


@workspace_member_required
def queue(request, slug):
    return render(request, "inbox/queue.html", {"nav": "messages"})


@workspace_member_required(review=True)
def review(request, slug):
    return render(request, "inbox/queue.html", {"nav": "review"})
