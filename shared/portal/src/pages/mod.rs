//! The portal's pages, routed by method and path. Each page asks for the capability it needs before it
//! reads or changes anything; buttons a session may not use are not drawn, and are refused if forged.

mod auth_fields;
mod catalogue;
mod endpoint_form;
mod endpoints;
mod messages;
mod secrets;
mod testing;
mod words;

use http::Method;

use hookline::ports::Ports;
use hookline_api::ApiError;

use crate::layout;
use crate::{PortalResponse, Visit};

pub(crate) async fn route<P: Ports>(visit: &Visit<'_, P>) -> Result<PortalResponse, ApiError> {
    let method = visit.request.method;
    let segments: Vec<&str> = visit.request.path.trim_end_matches('/').split('/').collect();
    let get = *method == Method::GET || *method == Method::HEAD;
    let post = *method == Method::POST;
    match (segments.as_slice(), get, post) {
        ([""], true, _) => endpoints::list(visit).await,
        (["endpoints"], _, true) => endpoints::create(visit).await,
        (["endpoints", "new"], true, _) => endpoints::new_form(visit).await,
        (["endpoints", id], true, _) => endpoints::show(visit, id, None).await,
        (["endpoints", id], _, true) => endpoints::update(visit, id).await,
        (["endpoints", id, "delete"], true, _) => endpoints::confirm_delete(visit, id).await,
        (["endpoints", id, "delete"], _, true) => endpoints::delete(visit, id).await,
        (["endpoints", id, "secret"], _, true) => secrets::reveal(visit, id).await,
        (["endpoints", id, "rotate"], _, true) => secrets::rotate(visit, id).await,
        (["endpoints", id, "test"], _, true) => testing::send_test(visit, id).await,
        (["endpoints", id, "probe"], _, true) => testing::probe(visit, id).await,
        (["endpoints", id, "recover"], _, true) => testing::recover(visit, id).await,
        (["messages"], true, _) => messages::list(visit).await,
        (["messages", id], true, _) => messages::show(visit, id, None).await,
        (["messages", id, "resend"], _, true) => messages::resend(visit, id).await,
        (["event-types"], true, _) => catalogue::list(visit).await,
        _ => Ok(layout::error_page(&visit.base, 404, "There is no such page in the portal.")),
    }
}
