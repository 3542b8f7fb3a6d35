from django.shortcuts import render

from workspaces.access import workspace_member_required


@workspace_member_required
def contact_list(request, slug):
    return render(request, "inbox/queue.html", {"nav": "contacts"})
