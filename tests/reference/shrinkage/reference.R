## reference.R -- lme4's team estimates, the reference of toolkit.stats.shrinkage
##
## Run from this folder:
##   cd tests/reference/shrinkage && Rscript reference.R > reference_output.txt 2>&1
##
## Needs R with Debian's r-cran-lme4. Reads ../cadence/D1_persons.csv and ../cadence/D2_persons.csv
## (simulated persons, written by ../cadence/make_data.py) and, for every construct with at least
## 10 teams, fits the random-intercept model by REML, as toolkit.stats.shrinkage.variance_components:
##   fit <- lmer(score ~ 1 + (1 | team), REML = TRUE)
## and writes per team: the estimate coef(fit)$team (the fixed intercept plus the team's BLUP) and
## the conditional variance of the BLUP, attr(ranef(fit, condVar = TRUE)$team, "postVar"), which is
## the team's variance given the intercept. toolkit's interval adds the intercept's own variance,
## (1 - lambda)^2 var(mu); the test subtracts it before comparing. Also the components: fixef,
## vcov of the intercept, VarCorr (team and residual variance).

suppressPackageStartupMessages(library(lme4))
options(width = 120, warn = 1)
fmt <- function(x) sprintf("%.15g", as.numeric(x))

teams_out <- list()
comps_out <- list()
for (d in c("D1", "D2")) {
  persons <- read.csv(file.path("..", "cadence", paste0(d, "_persons.csv")), stringsAsFactors = FALSE)
  for (construct in c("availability", "holding_back", "depth", "trust")) {
    df <- persons[!is.na(persons[[construct]]), c("team", construct)]
    names(df) <- c("team", "score")
    if (length(unique(df$team)) < 10) next
    fit <- lmer(score ~ 1 + (1 | team), data = df, REML = TRUE)
    vc <- as.data.frame(VarCorr(fit))
    re <- ranef(fit, condVar = TRUE)$team
    post <- attr(re, "postVar")[1, 1, ]
    est <- coef(fit)$team[, 1]
    teams_out[[length(teams_out) + 1]] <- data.frame(
      data = d, construct = construct, team = rownames(re), n = as.integer(table(df$team)[rownames(re)]),
      estimate = fmt(est), cond_var = fmt(post), stringsAsFactors = FALSE
    )
    comps_out[[length(comps_out) + 1]] <- data.frame(
      data = d, construct = construct, mu = fmt(fixef(fit)[1]), var_mu = fmt(vcov(fit)[1, 1]),
      tau2 = fmt(vc$vcov[vc$grp == "team"]), sigma2 = fmt(vc$vcov[vc$grp == "Residual"]),
      singular = isSingular(fit), n = nrow(df), teams = length(unique(df$team)), stringsAsFactors = FALSE
    )
    cat(sprintf("%s %-13s n=%5d teams=%4d mu=%.6f tau2=%.6f sigma2=%.6f singular=%s\n", d, construct,
                nrow(df), length(unique(df$team)), fixef(fit)[1], vc$vcov[1], vc$vcov[2], isSingular(fit)))
  }
}
write.csv(do.call(rbind, teams_out), "lmer_teams.csv", row.names = FALSE)
write.csv(do.call(rbind, comps_out), "lmer_components.csv", row.names = FALSE)
cat(R.version.string, "\nlme4", as.character(packageVersion("lme4")), "\n")
