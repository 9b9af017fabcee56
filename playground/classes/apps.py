from django.apps import AppConfig


class ClassesConfig(AppConfig):
    name = "playground.classes"
    label = "classes"
    verbose_name = "Class sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Takes part in the apps below through their extension points (see ``hooks``)."""
        from playground import access
        from playground.datasets import hooks as dataset_hooks
        from playground.jobs import hooks as job_hooks

        from . import hooks

        access.grants.register(hooks.access_grant)
        dataset_hooks.shared_datasets.register(hooks.shared_dataset_ids)
        job_hooks.allowances.register(
            job_hooks.Allowance(on_resume=hooks.allowance_on_resume, spent=hooks.allowance_spent)
        )
        job_hooks.event_followers.register(hooks.run_follower)
        job_hooks.run_page_context.register(hooks.run_page_context)
        job_hooks.datasets_in_use.register(hooks.datasets_in_use)
        job_hooks.admin_list_filters.register(hooks.ADMIN_RUN_FILTER)
        job_hooks.submitters.register(job_hooks.Submitter(field="class_session", submit=hooks.submit_for_class))
