# An AWS Batch job definition for a GPU job on an EKS compute environment. Batch turns each
# attempt into one pod (see pod.yaml) in the namespace of the compute environment; the only way
# such a job can ask for GPUs is nvidia.com/gpu in the container's limits (or requests), in whole
# numbers. With gpudra's webhook scoped to that namespace, those pods get their GPUs from this
# driver, whether Batch binds them to a node itself or leaves them to the scheduler.
resource "aws_batch_job_definition" "gpu_training" {
  name = "gpu-training"
  type = "container"

  platform_capabilities = ["EC2"]

  eks_properties {
    pod_properties {
      host_network = true

      containers {
        name    = "default"
        image   = "public.ecr.aws/amazonlinux/amazonlinux:2"
        command = ["sh", "-c", "nvidia-smi -L"]

        resources {
          limits = {
            cpu              = "1"
            memory           = "1024Mi"
            "nvidia.com/gpu" = "2"
          }
        }
      }

      metadata {
        labels = {
          team = "ml"
        }
      }
    }
  }

  retry_strategy {
    attempts = 2
  }
}
