from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import path


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        migrations = cursor.fetchone()[0]
    return JsonResponse({"status": "ok", "migrations": migrations})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health),
]
