from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from appeals.models import Appeal, Status


@login_required
def home(request):
    open_appeals = Appeal.objects.open()
    counts = dict(open_appeals.values_list("status").annotate(n=Count("id")).order_by())
    due_next = (
        open_appeals.awaiting_decision()
        .select_related("member")
        .order_by("decide_by")[:25]
    )
    context = {
        "by_status": [(Status(s).label, counts.get(s, 0)) for s in counts],
        "open_total": sum(counts.values()),
        "due_next": due_next,
        "now": timezone.now(),
    }
    return render(request, "casework/home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
