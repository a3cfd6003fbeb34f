-- Argo CD health of an appdeploy.dev AppDeployment (one mobile release).
-- Source of truth; manifests/argocd/argocd-cm.yaml embeds it (make generate).
-- Written for Lua 5.1 (Argo CD runs gopher-lua); tested by
-- tests/helm/test_argocd_health.py.
--
--   Pending, Running          -> Progressing  steps or waits are under way
--   AwaitingApproval          -> Suspended    a person must act (like a paused rollout)
--   Succeeded                 -> Healthy
--   Failed, Invalid           -> Degraded
--   Cancelled                 -> Degraded     the release in git will not ship; someone
--                                             should remove or replace it
--   status from an older spec -> Progressing  a new run has not been picked up yet
--   anything else             -> Unknown
local hs = {}
local phases = {
  Pending = "Progressing",
  Running = "Progressing",
  AwaitingApproval = "Suspended",
  Succeeded = "Healthy",
  Failed = "Degraded",
  Invalid = "Degraded",
  Cancelled = "Degraded",
}

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the appdeploy operator to start the release"
  return hs
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the appdeploy operator to start the run of generation " .. generation
  return hs
end

local phase = obj.status.phase
hs.status = phases[phase] or "Unknown"
if obj.status.message ~= nil and obj.status.message ~= "" then
  hs.message = phase .. ": " .. obj.status.message
else
  hs.message = phase
end
return hs
